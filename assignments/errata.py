"""The source notes' own mistakes, as wrong submissions the autograder must reject.

Every erratum of the book (``book/errata_parts/*.md``, one ``(erratum-...)=`` label each) is
either turned into a submission here (``SUBMISSIONS``) or listed in ``NOT_COMPUTATIONAL``
with the reason it has no computational form. A submission is the chapter's solution
notebook (``_build/assignments/<chapter>/autograder/<chapter>.ipynb``) with one cell -- the
one containing ``cell`` -- replaced by ``code``: the notes' formula, written the way a student
who trusted the notes would write it. ``tests/test_assignments.py`` grades each one with
``otter run`` and asserts that exactly the questions in ``questions`` lose points, each
because a hidden test fails, while every other question keeps full marks.

Where the book classifies an erratum as OCR-ambiguous, the submission is the *literal*
reading of the transcription (``literal=True``): it is rejected because the formula as
printed is wrong, not as a claim about what the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Submission:
    """One wrong submission built from an erratum of the book."""

    label: str            # the erratum's label in book/errata_parts/*.md
    chapter: str          # assignments/<chapter>.ipynb
    name: str             # short, unique within the chapter
    source: str           # the source note, by its readable name (book/errata.md)
    cell: str             # a string that identifies the replaced cell of the solution notebook
    code: str             # the replacement cell
    questions: tuple      # the questions that must lose points
    literal: bool = False  # True: the literal reading of an OCR-ambiguous line


SUBMISSIONS = [
    # --- LSTM trace -------------------------------------------------------------------------
    Submission(
        "erratum-lstm-t3", "lstm_trace", "hw4-table", "Homework 4 solutions",
        "table = trace_table(",
        '''
table = np.array([  # z_i, f(z_i), z_f, f(z_f), z_o, f(z_o), z, c', y  (the notes' table)
    [90, 1, 10, 1, -10, 0, 3, 3, 0],
    [90, 1, 10, 1, 90, 1, -2, 1, 1],
    [190, 1, 90, 0, 90, 1, 4, 4, 4],
    [90, 1, 10, 1, 90, 1, 0, 4, 4],
], dtype=float)
''', ("trace",)),
    Submission(
        "erratum-lstm-t3", "lstm_trace", "report-table", "RNN homework report",
        "table = trace_table(",
        '''
table = np.array([  # the report's summary table, transposed to one row per step
    [90, 1, 10, 1, -10, 0, 3, 3, 0],
    [90, 1, 10, 1, 90, 1, -2, 1, 1],
    [90, 1, 90, 0, 90, 1, 4, 4, 4],
    [90, 1, 10, 1, 90, 1, 0, 4, 4],
], dtype=float)
''', ("trace",)),
    Submission(
        "erratum-lstm-product", "lstm_trace", "inner-product", "RNN homework report",
        "def lstm_cell(",
        '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    # the report: the candidate and the output are combined with the gates by inner products
    H = np.shape(h)[0]
    a = W_ih @ x + b_ih + W_hh @ h + b_hh
    i, f = sigmoid(a[:H]), sigmoid(a[H:2 * H])
    g, o = np.tanh(a[2 * H:3 * H]), sigmoid(a[3 * H:])
    c_new = f * c + np.dot(i, g)
    return np.dot(o, np.tanh(c_new)), c_new
''', ("cell",)),
    # --- BPTT -------------------------------------------------------------------------------
    Submission(
        "erratum-bptt-sech", "bptt", "w0-in-sech", "Homework 4 solutions",
        "def two_step_grads(",
        '''
def two_step_grads(x1, x2, y, w0, w_h, w_i):
    # the printed answers: w_0 where w_i belongs inside sech^2
    sech2 = lambda a: 1 / np.cosh(a) ** 2
    h0 = 0.0
    h1 = np.tanh(w_i * x1 + w_h * h0)
    h2 = np.tanh(w_i * x2 + w_h * h1)
    y_hat = sigmoid(w0 * h2)
    dL_dyhat = (1 - y) / (1 - y_hat) - y / y_hat
    dyhat = w0 * np.exp(-w0 * h2) / (1 + np.exp(-w0 * h2)) ** 2
    dw0 = dL_dyhat * h2 * np.exp(-w0 * h2) / (1 + np.exp(-w0 * h2)) ** 2
    dwh = dL_dyhat * dyhat * (h1 * sech2(w0 * x2 + w_h * h1) + 0)
    dwi = dL_dyhat * dyhat * (x2 * sech2(w0 * x2 + w_h * h1)
                              + w_h * sech2(w0 * x2 + w_h * h1) * x1 * sech2(w0 * x1 + w_h * h0))
    return float(dw0), float(dwh), float(dwi)
''', ("two_step",)),
    Submission(
        "erratum-bptt-label", "bptt", "label-as-derivative", "Homework 4 solutions",
        "def two_step_grads(",
        '''
def two_step_grads(x1, x2, y, w0, w_h, w_i):
    # the notes' expression for d y_hat / d h_2, taken at its label "d y_hat / d w_h"
    h1 = np.tanh(w_i * x1)
    h2 = np.tanh(w_i * x2 + w_h * h1)
    y_hat = sigmoid(w0 * h2)
    dL_dyhat = (1 - y) / (1 - y_hat) - y / y_hat
    dyhat_dwh = w0 * np.exp(-w0 * h2) / (1 + np.exp(-w0 * h2)) ** 2
    s1, s2 = 1 - h1 ** 2, 1 - h2 ** 2
    delta = y_hat - y
    return (float(delta * h2), float(dL_dyhat * dyhat_dwh),
            float(delta * w0 * s2 * (x2 + w_h * s1 * x1)))
''', ("two_step",)),
    Submission(
        "erratum-bptt-dyhat", "bptt", "sigmoid-derivative", "RNN homework report",
        "def two_step_grads(",
        '''
def two_step_grads(x1, x2, y, w0, w_h, w_i):
    # the report: d y_hat / d w0 = -w0 h2^2 / (1 + exp(-w0 h2))^2, used for d y_hat / d h2 too
    sech2 = lambda a: 1 / np.cosh(a) ** 2
    h1 = np.tanh(w_i * x1)
    h2 = np.tanh(w_i * x2 + w_h * h1)
    y_hat = sigmoid(w0 * h2)
    dL_dyhat = -(y / y_hat - (1 - y) / (1 - y_hat))
    dyhat = -w0 * h2 ** 2 / (1 + np.exp(-w0 * h2)) ** 2
    dwh = dL_dyhat * dyhat * sech2(w_i * x2 + w_h * h1) * h1
    dwi = dL_dyhat * dyhat * sech2(w_i * x2 + w_h * h1) * (x2 + w_h * sech2(w_i * x1) * x1)
    return float(dL_dyhat * dyhat), float(dwh), float(dwi)
''', ("two_step",)),
    Submission(
        "erratum-bptt-sum", "bptt", "total-derivatives", "RNN homework report",
        "def bptt_grads(",
        '''
def bptt_grads(x, y, w0, w_h, w_i, h0):
    # sum over k of dL/dh_T (prod of step Jacobians) dh_k/dw, with the *total* derivative
    # dh_k/dw where the immediate partial belongs
    x = np.asarray(x, dtype=float)
    T = len(x)
    h = np.empty(T + 1)
    h[0] = h0
    for t in range(1, T + 1):
        h[t] = np.tanh(w_i * x[t - 1] + w_h * h[t - 1])
    delta = sigmoid(w0 * h[T]) - y
    s = 1 - h[1:] ** 2
    g = np.empty(T + 1)
    g[T] = delta * w0
    for t in range(T, 0, -1):
        g[t - 1] = g[t] * s[t - 1] * w_h
    tot_h = tot_i = 0.0
    gw_h = gw_i = 0.0
    for k in range(1, T + 1):
        tot_h = s[k - 1] * (h[k - 1] + w_h * tot_h)      # total d h_k / d w_h
        tot_i = s[k - 1] * (x[k - 1] + w_h * tot_i)      # total d h_k / d w_i
        gw_h += g[k] * tot_h
        gw_i += g[k] * tot_i
    return {"w0": float(delta * h[T]), "w_h": float(gw_h), "w_i": float(gw_i), "h": g}
''', ("bptt",)),
    Submission(
        "erratum-bptt-criterion", "bptt", "per-step-norms", "RNN homework report",
        "def jacobian_norms(",
        '''
def jacobian_norms(W, U, X, h0):
    # the per-step criterion: the product of the step Jacobians' norms
    W, U, X = np.asarray(W, float), np.asarray(U, float), np.asarray(X, float)
    h = [np.asarray(h0, dtype=float)]
    for x in X:
        h.append(np.tanh(W @ h[-1] + U @ x))
    T = len(X)
    steps = [np.linalg.norm((1 - h[t] ** 2)[:, None] * W, 2) for t in range(1, T + 1)]
    return np.array([np.prod(steps[k:]) for k in range(T)])
''', ("jacobians",)),
    # --- AdaBoost ---------------------------------------------------------------------------
    Submission(
        "erratum-adaboost-k-times", "adaboost", "k-times-step", "RNN homework report",
        "def step(",
        '''
def step(eps, K):
    # the report: alpha = (K - 1) log((1 - eps)/eps (K - 1))
    return (K - 1) * (np.log((1 - eps) / eps) + np.log(K - 1))


def samme_weight(eps, K):
    return K / (K - 1) * step(eps, K)
''', ("step", "weights")),
    Submission(
        "erratum-adaboost-coefficient", "adaboost", "c-plus-w", "Homework 4 solutions",
        "def slope(",
        '''
def slope(P, K):
    # the notes: (1 - P) C + P W = [C + W] P + C
    C, W = -1.0, 1.0 / (K - 1)
    return (C + W) * P + C


def choose(predictions, y, D, K):
    errors = (np.asarray(predictions) != np.asarray(y)[None, :]) @ np.asarray(D, dtype=float)
    return int(np.argmin(slope(errors, K)))
''', ("direction",)),
    Submission(
        "erratum-adaboost-coefficient", "adaboost", "factor-twice", "Homework 4 solutions",
        "def boost(",
        '''
def boost(y, predictions, K):
    # the weights Z_t D_t(i) with exp(-g_t^{y_i}(x_i)) kept beside them: the factor counted twice
    y, predictions = np.asarray(y), np.asarray(predictions)
    m = len(y)
    g = np.zeros((m, K))
    D, alphas = [np.full(m, 1.0 / m)], []
    for f in predictions:
        a = step(D[-1] @ (f != y), K)
        g[np.arange(m), f] += a
        s = (g.sum(axis=1) - g[np.arange(m), y]) / (K - 1) - g[np.arange(m), y]
        w = np.exp(s) * np.exp(-g[np.arange(m), y])
        alphas.append(a)
        D.append(w / w.sum())
    return np.array(alphas), np.array(D)
''', ("weights",)),
    # --- KL, MLE, EM ------------------------------------------------------------------------
    Submission(
        "erratum-kl-symmetric", "em_elbo_kl", "symmetric", "EM lecture notes",
        "def kl(",
        '''
def kl(p, q):
    # "symmetric": D(p || q) = D(q || p), so the order of the arguments does not matter
    p, q = np.asarray(q, dtype=float), np.asarray(p, dtype=float)
    on = p > 0
    if np.any(q[on] == 0):
        return float(np.inf)
    return float(np.sum(p[on] * (np.log(p[on]) - np.log(q[on]))))
''', ("kl",), literal=True),
    Submission(
        "erratum-mle-kl-sign", "em_elbo_kl", "argmin-loglik", "EM lecture notes",
        "def kl_to_model(",
        '''
def kl_to_model(x, D, theta):
    x = np.asarray(x)
    p_hat = np.bincount(x, minlength=D + 1) / len(x)
    on = p_hat > 0
    log_model = stats.binom.logpmf(np.arange(D + 1), D, theta)
    return float(np.sum(p_hat[on] * (np.log(p_hat[on]) - log_model[on])))


def fit_by_kl(x, D, grid):
    # the chain as transcribed: argmin KL = argmin -(1/N) sum log p = argmin sum log p
    return float(grid[np.argmin([stats.binom.logpmf(x, D, t).sum() for t in grid])])
''', ("mle",), literal=True),
    Submission(
        "erratum-q-old-theta", "em_elbo_kl", "old-weights-in-log", "Homework 4 solutions",
        "def q_function(",
        '''
def q_function(pi, rho, pi_old, rho_old, x, D):
    # log pi_k^(t), the old weight, inside the logarithm
    gamma = e_step(x, D, pi_old, rho_old)
    lj = np.log(pi_old)[None, :] + stats.binom.logpmf(np.asarray(x)[:, None], D,
                                                      np.asarray(rho)[None, :])
    return float((gamma * lj).sum())
''', ("q_function",)),
    # --- GMM --------------------------------------------------------------------------------
    Submission(
        "erratum-gmm-gamma", "gmm_em", "no-weights", "Homework 3 GMM solutions",
        "def responsibilities(",
        '''
def responsibilities(X, pi, mu, Sigma):
    # gamma_ik = N(x_i | mu_k, Sigma_k) / sum_j N(x_i | mu_j, Sigma_j): no mixture weights
    X = np.asarray(X, dtype=float)
    N, d = X.shape
    log_dens = np.empty((N, len(pi)))
    for k in range(len(pi)):
        L = np.linalg.cholesky(Sigma[k])
        sol = np.linalg.solve(L, (X - mu[k]).T)
        log_det = 2 * np.log(np.diag(L)).sum()
        log_dens[:, k] = -0.5 * (d * np.log(2 * np.pi) + log_det) - 0.5 * (sol ** 2).sum(axis=0)
    return np.exp(log_dens - logsumexp(log_dens, axis=1, keepdims=True))
''', ("e_step",)),
    Submission(
        "erratum-gmm-missing-sum", "gmm_em", "missing-sum", "Homework 4 solutions",
        "def m_step(",
        '''
def m_step(X, gamma):
    # Sigma_k = delta_ik (x_i - mu_k)(x_i - mu_k)^T / sum_i delta_ik: one sample's outer product
    X = np.asarray(X, dtype=float)
    Nk = gamma.sum(axis=0)
    pi = Nk / len(X)
    mu = gamma.T @ X / Nk[:, None]
    Sigma = []
    for k in range(len(Nk)):
        for i in range(len(X)):
            S = gamma[i, k] * np.outer(X[i] - mu[k], X[i] - mu[k])   # no sum over i
        Sigma.append(S / Nk[k])
    return pi, mu, np.stack(Sigma)
''', ("m_step",)),
    Submission(
        "erratum-gmm-stray-sum", "gmm_em", "stray-sum", "RNN homework report",
        "def m_step(",
        '''
def m_step(X, gamma):
    # an extra sum over the components k in the mean and covariance updates
    X = np.asarray(X, dtype=float)
    Nk = gamma.sum(axis=0)
    pi = Nk / len(X)
    mean_all = gamma.sum(axis=1) @ X / gamma.sum()       # sum_i sum_k delta_ik x_i / (sum sum)
    mu = np.repeat(mean_all[None], len(Nk), axis=0)
    Sigma = np.stack([(X - mu[k]).T @ (X - mu[k]) / Nk[k] for k in range(len(Nk))])
    return pi, mu, Sigma
''', ("m_step",)),
    Submission(
        "erratum-mean-update", "gmm_em", "mean-upside-down", "EM lecture notes",
        "def m_step(",
        '''
def m_step(X, gamma):
    # mu_k = sum_n q_n(k) / sum_n q_n(k) x_n (numerator and denominator swapped)
    X = np.asarray(X, dtype=float)
    Nk = gamma.sum(axis=0)
    pi = Nk / len(X)
    mu = Nk[:, None] / (gamma.T @ X)
    Sigma = np.stack([(gamma[:, k, None] * (X - mu[k])).T @ (X - mu[k]) / Nk[k]
                      for k in range(len(Nk))])
    return pi, mu, Sigma
''', ("m_step",), literal=True),
    Submission(
        "erratum-gmm-sigma-004", "gmm_em", "n-times-inverse", "GMM derivation notes",
        "def m_step(",
        '''
def m_step(X, gamma):
    # the last equation of the derivation: N_l Sigma_l^{-1} - S_l = 0, i.e. Sigma_l = N_l S_l^{-1}
    X = np.asarray(X, dtype=float)
    Nk = gamma.sum(axis=0)
    pi = Nk / len(X)
    mu = gamma.T @ X / Nk[:, None]
    Sigma = np.stack([Nk[k] * np.linalg.inv((gamma[:, k, None] * (X - mu[k])).T @ (X - mu[k]))
                      for k in range(len(Nk))])
    return pi, mu, Sigma
''', ("m_step",)),
    Submission(
        "erratum-gmm-fisher", "gmm_em", "old-mean", "Homework 3 GMM solutions",
        "def em_step(",
        '''
def em_step(X, pi, mu, Sigma):
    # the stationarity condition of the likelihood solved with gamma held fixed: the
    # covariance about the *old* mean mu_k
    from scipy.stats import multivariate_normal
    X = np.asarray(X, dtype=float)
    K = len(pi)
    lj = np.column_stack([np.log(pi[k]) + multivariate_normal(mu[k], Sigma[k]).logpdf(X)
                          for k in range(K)])
    gamma = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    Nk = gamma.sum(axis=0)
    new_mu = gamma.T @ X / Nk[:, None]
    new_Sigma = np.stack([(gamma[:, k, None] * (X - mu[k])).T @ (X - mu[k]) / Nk[k]
                          for k in range(K)])
    return Nk / len(X), new_mu, new_Sigma
''', ("em_step",)),
    # --- matrix calculus --------------------------------------------------------------------
    Submission(
        "erratum-gmm-logdet", "matrix_calculus", "logdet-line", "GMM derivation notes",
        "def grad_logdet(",
        '''
def grad_logdet(X):
    return np.linalg.inv(X).T


def grad_logdet_sym(X):
    # the notes' line: d ln|X| / dX = 2 X^T - diag(X^{-1})
    return 2 * np.asarray(X).T - np.diag(np.diag(np.linalg.inv(X)))
''', ("logdet",), literal=True),
]


# Errata without a computational form, with the reason (each label appears in exactly one
# of SUBMISSIONS and NOT_COMPUTATIONAL; tests/test_assignments.py checks it).
NOT_COMPUTATIONAL = {
    "erratum-adaboost-epsilon": "a bookkeeping slip in one line: no question asks for the "
                                "one-round loss, and the factor pulled out of the sum is "
                                "positive and common to both terms of the derivative, so its "
                                "zero, the step, is the right one",
    "erratum-adaboost-sign": "the sign typo does not carry forward and the notes never solve "
                             "for a step: there is no result to submit",
    "erratum-lstm-bias": "notation only: one letter b for four biases; the numbers use the "
                         "right biases",
    "erratum-lstm-gates": "a description (four gates, the output gate's job); the report's "
                          "trace uses the right cell",
    "erratum-lstm-gru": "a description of which gates the GRU merges; no formula",
    "erratum-mle-kl-constant": "a gap in the argument, not a wrong result",
    "erratum-gmm-half-sign": "two lost minus signs that cancel: the gradient and the update are "
                             "right",
    "erratum-gmm-logq": "'log Q' is a slip; the next line differentiates Q and is right",
    "erratum-gmm-mu-line": "OCR-ambiguous line of the gradient; its zero, the mean update, is "
                           "right either way, and no question asks for the gradient itself",
    "erratum-gmm-bayes-004": "swapped conditionals in one line; the next expression, the one "
                             "used, is right",
    "erratum-gmm-half-004": "a spurious factor 1/2 that does not move the root, and notation",
    "erratum-gmm-indicator": "a description (the indicator called a 'possibility'); the "
                             "derivation uses the responsibilities correctly",
    "erratum-gmm-index-clash": "notation: one letter for the fixed component and the summation "
                               "index; no number depends on it",
    "erratum-gmm-lost-plus": "OCR-ambiguous lost '+' in one line; the next line and the mean "
                             "update are right",
    "erratum-gmm-old-mean": "OCR-ambiguous; read literally it is the covariance about the old mean, "
                            "the computation already submitted as erratum-gmm-fisher's em_step",
    "erratum-gmm-unweighted-logdet": "a slip (or lost brackets) in the objective; the derivation "
                                     "that follows weights the term and its update is right",
}
