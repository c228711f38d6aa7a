"""Hide gated solutions in the student edition.

sphinx-exercise 1.2.1 supports gated solutions (``{solution-start}`` … code
cells … ``{solution-end}``: the solution's code runs in every build) and a
``hide_solutions`` switch, but not both together: with ``hide_solutions`` the
start directive produces nothing while the end directive still produces a node,
so the cells in between stay visible and the HTML writer fails on the orphan
end node ("unknown node type: solution_end_node").

This extension replaces the start directive by one that, when solutions are
hidden, leaves a marker; a transform that runs before sphinx-exercise's own
merge removes everything from the marker to the matching end node. With
``hide_solutions`` off it changes nothing.

It also tidies a solution's title: sphinx-exercise writes "Solution to" and then a
link whose text is " Exercise 3.2", space included, so the underlined link starts
with a blank. The space is moved out of the link.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node, solution_node


class hidden_solution_marker(nodes.Element):
    """Where a hidden gated solution starts; removed with the solution."""


class SolutionStartOrMarker(SolutionStartDirective):
    def run(self):
        produced = super().run()  # registers the gated pair; [] when solutions are hidden
        if self.env.app.config.hide_solutions:
            return [hidden_solution_marker()]
        return produced


class RemoveHiddenGatedSolutions(SphinxTransform):
    default_priority = 9  # before sphinx-exercise's MergeGatedSolutions (10)

    def apply(self):
        for marker in list(self.document.findall(hidden_solution_marker)):
            parent = marker.parent
            start = parent.index(marker)
            end = next((i for i in range(start, len(parent.children))
                        if isinstance(parent.children[i], solution_end_node)), None)
            if end is None:
                raise ValueError(f"{self.env.docname}: solution-start without a "
                                 "solution-end at the same level")
            for child in parent.children[start:end + 1]:
                parent.remove(child)


class SolutionTitleLinkWithoutLeadingSpace(SphinxPostTransform):
    """ "Solution to<a> Exercise 3.2</a>" -> "Solution to <a>Exercise 3.2</a>"."""

    default_priority = 22  # after sphinx-exercise's ResolveTitlesInSolutions (21)

    def run(self):
        for solution in self.document.findall(solution_node):
            title = solution.children[0] if solution.children else None
            if not isinstance(title, nodes.title):
                continue
            for ref in list(title.findall(nodes.reference)):
                first = ref.children[0] if ref.children else None
                if isinstance(first, nodes.Text) and first.startswith(" "):
                    ref.replace(first, nodes.Text(first.lstrip(" ")))
                    ref.parent.insert(ref.parent.index(ref), nodes.Text(" "))


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_directive("solution-start", SolutionStartOrMarker, override=True)
    app.add_node(hidden_solution_marker)
    app.add_transform(RemoveHiddenGatedSolutions)
    app.add_post_transform(SolutionTitleLinkWithoutLeadingSpace)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
