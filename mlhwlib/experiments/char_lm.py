"""A character-level language model from scratch: the LSTM chapter's last experiment.

Training needs only numpy and :mod:`mlhwlib`: the three models (a tanh RNN, a GRU and
an LSTM, each with a softmax head over the characters) get their loss and gradients
from :func:`mlhwlib.vector_rnn.vector_rnn_bptt`, :func:`mlhwlib.lstm.vector_gru_bptt` and
:func:`mlhwlib.lstm.vector_lstm_bptt`; training is truncated BPTT in chunks of
``CHUNK`` characters with the state carried from one chunk to the next and detached
between them (the practice of the BPTT chapter's truncation exercise), the gradient
clipped with :func:`mlhwlib.clipping.clip_by_global_norm` and applied by :class:`Adam`
(PyTorch's rule, written in numpy). Only :func:`torch_trajectory` needs PyTorch.

The corpus is the book's own text at the pinned commit ``CORPUS_COMMIT``: every
``book/*.md`` page and the Markdown cells of every ``book/*.ipynb`` chapter, read with
``git show`` (so the corpus does not change when the book does). Run from the
repository root (a few minutes on one thread)::

    OMP_NUM_THREADS=1 .venv/bin/python tools/experiments/char_lm.py

It writes ``mlhwlib/data/char_lm_results.json``, which ``book/lstm_trace.ipynb`` reads
(no chapter reads the corpus); ``tests/test_char_lm_experiment.py`` re-runs the quick
configuration stored in the same file and checks that it reproduces the committed
numbers.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from mlhwlib.clipping import clip_by_global_norm
from mlhwlib.lstm import vector_gru_bptt, vector_lstm_bptt
from mlhwlib.vector_rnn import vector_rnn_bptt

CORPUS_COMMIT = "e1917d6861a035a2fe5a51f21ca53fd40df62357"
MODELS = ("RNN", "GRU", "LSTM")
UNKNOWN = "\x00"  # every character seen fewer than MIN_COUNT times in training
BLOCK, VAL_EVERY = 2048, 10  # every 10th block of 2048 characters is held out

CONFIG = {"H": 64, "CHUNK": 32, "STEPS": 10000, "LR": 3e-3, "CLIP": 1.0,
          "EVAL_EVERY": 500, "N_VAL_CURVE": 2048, "N_VAL": 20480, "MIN_COUNT": 20,
          "SEEDS": [0, 1, 2, 3, 4], "TEMPERATURE": 0.7, "SAMPLE_LEN": 300,
          "N_UNITS_TEXT": 16384, "STRETCH": 240}
QUICK = {"H": 8, "CHUNK": 16, "STEPS": 30, "LR": 3e-3, "CLIP": 1.0,
         "EVAL_EVERY": 10, "N_VAL_CURVE": 256, "N_VAL": 512, "MIN_COUNT": 20,
         "SEEDS": [0, 1], "TEMPERATURE": 0.7, "SAMPLE_LEN": 40,
         "N_UNITS_TEXT": 512, "STRETCH": 60}
COUNTERS = ("line position", "bracket depth", "math ($)", "code (`)")

RESULTS = Path(__file__).resolve().parent.parent / "data" / "char_lm_results.json"

__all__ = ["CORPUS_COMMIT", "MODELS", "CONFIG", "QUICK", "COUNTERS", "corpus",
           "Adam", "init_params", "chunk_step", "evaluate", "train", "sample",
           "counters", "unit_correlations", "torch_trajectory", "main"]


# --- corpus ---------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True,
                          capture_output=True, text=True).stdout


def corpus(root=None, commit=CORPUS_COMMIT) -> str:
    """The book's text at ``commit``: ``book/*.md`` and the Markdown cells of ``book/*.ipynb``."""
    root = Path(__file__).resolve().parents[2] if root is None else Path(root)
    names = sorted(n for n in _git(root, "ls-tree", "--name-only", commit, "book/").split()
                   if n.endswith((".md", ".ipynb")))
    parts = []
    for name in names:
        text = _git(root, "show", f"{commit}:{name}")
        if name.endswith(".ipynb"):
            cells = json.loads(text)["cells"]
            text = "\n\n".join("".join(c["source"]) for c in cells
                               if c["cell_type"] == "markdown")
        parts.append(text.strip() + "\n\n")
    return "".join(parts)


def split(text: str, min_count: int):
    """Vocabulary (UNKNOWN first), training and validation streams of indices."""
    blocks = [text[i:i + BLOCK] for i in range(0, len(text), BLOCK)]
    val = "".join(b for j, b in enumerate(blocks) if j % VAL_EVERY == VAL_EVERY - 1)
    train = "".join(b for j, b in enumerate(blocks) if j % VAL_EVERY != VAL_EVERY - 1)
    chars, counts = np.unique(list(train), return_counts=True)
    vocab = UNKNOWN + "".join(sorted(ch for ch, n in zip(chars, counts)
                                     if n >= min_count and ch != UNKNOWN))
    lookup = {ch: k for k, ch in enumerate(vocab)}

    def encode(s):
        return np.array([lookup.get(ch, 0) for ch in s], dtype=np.int64)

    return vocab, encode(train), encode(val)


# --- optimiser and models ---------------------------------------------------------


class Adam:
    """Adam (Kingma and Ba, 2015) in numpy, with ``torch.optim.Adam``'s arithmetic.

    ``step(grads)`` updates the arrays of ``params`` (a dict) in place:
    :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`,
    :math:`v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2`,
    :math:`p \\leftarrow p - \\frac{\\eta}{1-\\beta_1^k}\\,
    m / (\\sqrt{v}/\\sqrt{1-\\beta_2^k} + \\varepsilon)`.
    """

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, float(lr), betas, float(eps)
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.k = 0

    def step(self, grads):
        b1, b2 = self.betas
        self.k += 1
        bc1, bc2 = 1 - b1 ** self.k, 1 - b2 ** self.k
        for name, p in self.params.items():
            g = grads[name]
            self.m[name] = b1 * self.m[name] + (1 - b1) * g
            self.v[name] = b2 * self.v[name] + (1 - b2) * g * g
            denom = np.sqrt(self.v[name]) / np.sqrt(bc2) + self.eps
            p -= (self.lr / bc1) * self.m[name] / denom


BLOCKS = {"RNN": 1, "GRU": 3, "LSTM": 4}


def init_params(kind: str, H: int, K: int, seed: int) -> dict:
    """PyTorch's default initialisation, uniform on :math:`[-1/\\sqrt H, 1/\\sqrt H]`.

    The RNN's and LSTM's single bias ``b`` is the sum of two such draws (PyTorch's
    ``bias_ih + bias_hh``); the GRU keeps both.
    """
    rng = np.random.default_rng(seed)
    k, n = 1 / np.sqrt(H), BLOCKS[kind] * H

    def u(*shape):
        return rng.uniform(-k, k, size=shape)

    P = {"U": u(n, K), "W": u(n, H)}
    if kind == "GRU":
        P["b_ih"], P["b_hh"] = u(n), u(n)
    else:
        P["b"] = u(n) + u(n)
    P["V"], P["c"] = u(K, H), u(K)
    return P


def zero_state(kind: str, H: int):
    return (np.zeros(H), np.zeros(H)) if kind == "LSTM" else (np.zeros(H),)


def chunk_step(kind: str, P: dict, idx, state):
    """Loss (summed over the chunk), gradients and final state for one chunk.

    ``idx`` holds ``T + 1`` character indices: inputs ``idx[:-1]`` (one-hot), targets
    ``idx[1:]``; ``state`` is the carried initial state (``(h,)``, or ``(h, c)``).
    Returns ``(loss, grads, new_state, result)``.
    """
    K = P["V"].shape[0]
    X, y = np.eye(K)[idx[:-1]], idx[1:]
    if kind == "RNN":
        r = vector_rnn_bptt(X, y, P["U"], P["W"], P["V"], P["b"], P["c"], h0=state[0])
        grads = {"U": r.grad_U, "W": r.grad_W, "b": r.grad_b, "V": r.grad_V, "c": r.grad_c}
        new = (r.h[-1].copy(),)
    elif kind == "GRU":
        r = vector_gru_bptt(X, y, P["U"], P["W"], P["V"], P["b_ih"], P["b_hh"], P["c"],
                            h0=state[0])
        grads = {"U": r.grad_U, "W": r.grad_W, "b_ih": r.grad_b_ih, "b_hh": r.grad_b_hh,
                 "V": r.grad_V, "c": r.grad_c}
        new = (r.h[-1].copy(),)
    elif kind == "LSTM":
        r = vector_lstm_bptt(X, y, P["U"], P["W"], P["V"], P["b"], P["c"],
                             h0=state[0], c0=state[1])
        grads = {"U": r.grad_U, "W": r.grad_W, "b": r.grad_b, "V": r.grad_V, "c": r.grad_c}
        new = (r.h[-1].copy(), r.c[-1].copy())
    else:
        raise ValueError(f"kind must be one of {MODELS}, got {kind!r}")
    return r.loss, grads, new, r


def evaluate(kind: str, P: dict, stream, n: int, piece: int = 256, keep_memory=False):
    """Mean loss per character (nats) of the first ``n`` predictions of ``stream``.

    The state starts at zero and is carried through the whole stream (exact: the
    forward pass does not depend on the pieces). With ``keep_memory`` also returns
    the LSTM's memory :math:`c_t` (n, H) and gates (n, 4, H) after each of the ``n``
    input characters.
    """
    H = P["W"].shape[1]
    state, total, mem, gates = zero_state(kind, H), 0.0, [], []
    for p in range(0, n, piece):
        q = min(p + piece, n)
        loss, _, state, r = chunk_step(kind, P, stream[p:q + 1], state)
        total += loss
        if keep_memory:
            mem.append(r.c[1:])
            gates.append(r.gates)
    if keep_memory:
        return total / n, np.concatenate(mem), np.concatenate(gates)
    return total / n


def train(kind: str, cfg: dict, seed: int, train_stream, val_stream, K: int):
    """Truncated BPTT with carried, detached state; returns (params, record)."""
    H, T = cfg["H"], cfg["CHUNK"]
    P = init_params(kind, H, K, seed)
    P0 = {k: v.copy() for k, v in P.items()}
    opt = Adam(P, cfg["LR"])
    state, pos, start = zero_state(kind, H), 0, time.perf_counter()
    curve_steps, curve_val, train_loss, clipped = [0], [evaluate(kind, P, val_stream,
                                                                 cfg["N_VAL_CURVE"])], [], 0
    for step in range(1, cfg["STEPS"] + 1):
        if pos + T + 1 > len(train_stream):  # one pass done: start again, fresh state
            pos, state = 0, zero_state(kind, H)
        loss, grads, state, _ = chunk_step(kind, P, train_stream[pos:pos + T + 1], state)
        pos += T
        names = list(grads)
        clipped_g, norm = clip_by_global_norm([grads[k] / T for k in names], cfg["CLIP"])
        clipped += norm > cfg["CLIP"]
        opt.step(dict(zip(names, clipped_g)))
        train_loss.append(loss / T)
        if step % cfg["EVAL_EVERY"] == 0:
            curve_steps.append(step)
            curve_val.append(evaluate(kind, P, val_stream, cfg["N_VAL_CURVE"]))
    val = evaluate(kind, P, val_stream, cfg["N_VAL"])
    E = cfg["EVAL_EVERY"]
    rec = {"model": kind, "seed": seed, "val_loss": val,
           "curve_steps": curve_steps, "curve_val": curve_val,
           "train_curve": [float(np.mean(train_loss[i:i + E]))
                           for i in range(0, len(train_loss), E)],
           "clipped_fraction": clipped / cfg["STEPS"],
           "n_params": int(sum(v.size for v in P.values())),
           "seconds": time.perf_counter() - start}
    return P, P0, rec


def sample(kind: str, P: dict, vocab: str, prime: str, n: int, temperature: float,
           seed: int) -> str:
    """``n`` characters drawn from the model after reading ``prime`` (softmax at ``temperature``)."""
    H, K = P["W"].shape[1], len(vocab)
    lookup = {ch: k for k, ch in enumerate(vocab)}
    rng = np.random.default_rng(seed)
    state, out = zero_state(kind, H), []
    idx = [lookup.get(ch, 0) for ch in prime]
    for k in idx[:-1]:
        _, _, state, _ = chunk_step(kind, P, np.array([k, 0]), state)
    cur = idx[-1]
    for _ in range(n):
        _, _, state, r = chunk_step(kind, P, np.array([cur, 0]), state)
        logits = P["V"] @ r.h[-1] + P["c"]
        z = logits / temperature
        p = np.exp(z - z.max())
        cur = int(rng.choice(K, p=p / p.sum()))
        out.append(vocab[cur])
    return "".join(out)


# --- what a unit tracks -------------------------------------------------------------


def counters(text: str) -> dict:
    """Countable states of the text after each character.

    * ``line position``: characters since the last newline (reset at a newline);
    * ``bracket depth``: opened minus closed ``( [ {``, never below 0;
    * ``math ($)``: 1 inside ``$...$`` (``$$`` counts as one delimiter), else 0; a
      blank line resets it to 0 (no formula of the book spans a blank line, so an
      unmatched dollar sign cannot invert the state for the rest of the text);
    * ``code (`)``: 1 inside backticks (every backtick toggles), else 0.
    """
    n = len(text)
    out = {name: np.zeros(n) for name in COUNTERS}
    line = depth = math = code = 0
    for t, ch in enumerate(text):
        line = 0 if ch == "\n" else line + 1
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "$" and not (t > 0 and text[t - 1] == "$"):
            math = 1 - math
        elif ch == "\n" and t > 0 and text[t - 1] == "\n":
            math = 0
        if ch == "`":
            code = 1 - code
        out["line position"][t], out["bracket depth"][t] = line, depth
        out["math ($)"][t], out["code (`)"][t] = math, code
    return out


def unit_correlations(mem, counter):
    """Pearson correlation of every unit's memory (columns of ``mem``) with ``counter``."""
    m = mem - mem.mean(axis=0)
    q = counter - counter.mean()
    den = np.sqrt((m ** 2).sum(axis=0) * (q ** 2).sum())
    return np.where(den > 0, m.T @ q / np.where(den > 0, den, 1.0), 0.0)


# --- the same model in torch.nn -------------------------------------------------------


def torch_trajectory(kind: str, idx, K: int, H: int, chunk: int, steps: int, lr: float,
                     clip: float, seed: int = 0):
    """Losses of the library's model and of torch.nn's along ``steps`` training steps.

    Both start from :func:`init_params` (copied into ``torch.nn.RNN``/``GRU``/``LSTM``
    plus ``Linear`` in float64; for the RNN and the LSTM ``bias_ih`` holds ``b`` and
    ``bias_hh`` stays 0, frozen); each step reads the next chunk of ``idx`` with the
    state carried and detached, and each side updates itself: the library with its
    gradients, :func:`~mlhwlib.clipping.clip_by_global_norm` and :class:`Adam`; torch with autograd,
    ``clip_grad_norm_`` and ``torch.optim.Adam``. Returns the two arrays of the
    losses per character and the largest absolute parameter difference at the end.
    """
    import torch

    P = init_params(kind, H, K, seed)
    cls = {"RNN": torch.nn.RNN, "GRU": torch.nn.GRU, "LSTM": torch.nn.LSTM}[kind]
    net = cls(K, H, dtype=torch.float64)
    head = torch.nn.Linear(H, K, dtype=torch.float64)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(P["U"]))
        net.weight_hh_l0.copy_(torch.from_numpy(P["W"]))
        if kind == "GRU":
            net.bias_ih_l0.copy_(torch.from_numpy(P["b_ih"]))
            net.bias_hh_l0.copy_(torch.from_numpy(P["b_hh"]))
        else:
            net.bias_ih_l0.copy_(torch.from_numpy(P["b"]))
            net.bias_hh_l0.zero_()
            net.bias_hh_l0.requires_grad_(False)
        head.weight.copy_(torch.from_numpy(P["V"]))
        head.bias.copy_(torch.from_numpy(P["c"]))
    params = [p for p in [*net.parameters(), *head.parameters()] if p.requires_grad]
    opt_t = torch.optim.Adam(params, lr=lr)
    opt_n = Adam(P, lr)
    st_n = zero_state(kind, H)
    st_t = None
    lib, ref = [], []
    idx = np.asarray(idx)
    for s in range(steps):
        piece = idx[s * chunk:s * chunk + chunk + 1]
        loss, grads, st_n, _ = chunk_step(kind, P, piece, st_n)
        names = list(grads)
        g, _ = clip_by_global_norm([grads[k] / chunk for k in names], clip)
        opt_n.step(dict(zip(names, g)))
        lib.append(loss / chunk)
        x = torch.nn.functional.one_hot(torch.from_numpy(piece[:-1]), K).double()
        out, st_new = net(x.unsqueeze(1), st_t)
        logits = head(out[:, 0])
        lt = torch.nn.functional.cross_entropy(logits, torch.from_numpy(piece[1:]))
        opt_t.zero_grad()
        lt.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        opt_t.step()
        st_t = tuple(t.detach() for t in st_new) if kind == "LSTM" else st_new.detach()
        ref.append(float(lt.detach()))
    pairs = [(P["U"], net.weight_ih_l0), (P["W"], net.weight_hh_l0),
             (P["V"], head.weight), (P["c"], head.bias)]
    if kind == "GRU":
        pairs += [(P["b_ih"], net.bias_ih_l0), (P["b_hh"], net.bias_hh_l0)]
    else:
        pairs += [(P["b"], net.bias_ih_l0)]
    gap = max(float(np.max(np.abs(a - t.detach().numpy()))) for a, t in pairs)
    return np.array(lib), np.array(ref), gap


# --- the whole experiment ------------------------------------------------------------


def _stretch(text, counter, value, length):
    """The window of ``length`` characters where ``counter`` varies most."""
    best, where = -1.0, 0
    for p in range(0, len(text) - length, max(1, length // 4)):
        v = float(np.var(counter[p:p + length]))
        if v > best:
            best, where = v, p
    return where


def run(cfg: dict, text: str, log=print) -> dict:
    vocab, tr, va = split(text, cfg["MIN_COUNT"])
    K = len(vocab)
    start = time.perf_counter()
    runs, samples, units = [], {}, []
    val_text = "".join(vocab[k] for k in va[:cfg["N_UNITS_TEXT"] + 1])
    # the counter at step t describes the text up to input character t (va[t])
    C = counters(val_text[:cfg["N_UNITS_TEXT"]])
    for kind in MODELS:
        for seed in cfg["SEEDS"]:
            P, P0, rec = train(kind, cfg, seed, tr, va, K)
            runs.append(rec)
            log(kind, seed, round(rec["val_loss"], 4), round(rec["seconds"], 1))
            if seed == cfg["SEEDS"][0]:
                samples[kind] = sample(kind, P, vocab, "The ", cfg["SAMPLE_LEN"],
                                       cfg["TEMPERATURE"], seed=100)
            if kind == "LSTM":
                n = cfg["N_UNITS_TEXT"]
                _, mem, gates = evaluate(kind, P, va, n, keep_memory=True)
                _, mem0, _ = evaluate(kind, P0, va, n, keep_memory=True)
                newline = np.array([ch == "\n" for ch in val_text[:n]])
                u = {"seed": seed}
                for name in COUNTERS:
                    q = C[name]
                    r = unit_correlations(mem, q)
                    r0 = unit_correlations(mem0, q)
                    rs = unit_correlations(mem, np.roll(q, n // 2))
                    j = int(np.argmax(np.abs(r)))
                    u[name] = {"unit": j, "r": float(r[j]),
                               "best_abs_r_untrained": float(np.max(np.abs(r0))),
                               "best_abs_r_shifted": float(np.max(np.abs(rs))),
                               # the unit's input and forget gates at a newline / elsewhere
                               "gates_newline": [float(gates[newline, k, j].mean())
                                                 for k in (0, 1)],
                               "gates_other": [float(gates[~newline, k, j].mean())
                                               for k in (0, 1)]}
                    if seed == cfg["SEEDS"][0]:
                        L = cfg["STRETCH"]
                        p = _stretch(val_text, q, None, L)
                        u[name]["stretch"] = {
                            "start": p, "text": val_text[p:p + L],
                            "memory": [round(float(x), 4) for x in mem[p:p + L, j]],
                            "counter": [int(x) for x in q[p:p + L]]}
                units.append(u)
    return {"config": cfg, "vocab": vocab, "n_train": int(len(tr)), "n_val": int(len(va)),
            "runs": runs, "samples": samples, "units": units,
            "seconds": time.perf_counter() - start}


def _round(obj, digits=8):
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, digits) for v in obj]
    return obj


def main(out=RESULTS, quick=False, log=print):
    text = corpus()
    info = {"commit": CORPUS_COMMIT, "n_chars": len(text),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    quick_res = run(QUICK, text, log=log)
    if quick:
        return {"corpus": info, "quick": _round(quick_res)}
    full = run(CONFIG, text, log=log)
    data = {"corpus": info, **_round(full), "quick": _round(quick_res),
            "numpy": np.__version__}
    Path(out).write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n",
                         encoding="utf-8")
    return data
