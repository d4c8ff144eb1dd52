"""The exchange round under `exchange_rule: reference`, compiled: the same exchanges, in the same
order, with the same floats, as `exchange.candidate_exchanges` followed by
`exchange.select_exchanges(rule="reference")`.

That pair is the statement of the rule checked against decide-exchange-model; this kernel is what
the exchange protocol runs. A member-state round has ~10^5 candidates and realises a few thousand
exchanges, each of which recalculates the few hundred candidates sharing an actor-issue with it.
The kernel realises them one at a time (the numpy version batches exchanges that cannot
interfere, which `tests/test_exchange_reference.py` shows is the one-at-a-time sequence) and
recalculates each touched candidate by the same floating-point operations in the same order as
`exchange._Round._pass` and `exchange._evaluate`, scalar instead of vectorised:
- the best exchange is the earliest candidate whose gain is within the tie tolerance of the
  highest (`exchange._Pool.best` without a random generator), found through exact maxima of
  blocks of 64 candidates and of blocks of 64 blocks;
- the "updates" tables (the positions of partners that moved on an issue an actor demanded) and
  the check_nbs probes are kept as in the numpy version, including its shortcut of shifting the
  probes of a candidate reached only through a demanded issue instead of recalculating it;
- the candidates touched by an exchange are found through an index from each actor-issue to the
  candidates supplying or demanding it; their state is laid out so that a visit reads its two
  cache lines and little else (see `_T0I`). The visits are what its time goes to: their
  instructions and branches more than their loads (`docs/performance.md`).
`tests/test_exchange_reference_compiled.py` checks the equality on random, MC11 and decide
rounds and on whole replications.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from simulation.engine.exchange import (
    FIXED_WEIGHT,
    GAIN_MIN,
    LOWER,
    MOVE_MIN,
    POS_TOL,
    SALIENCE_WEIGHT,
    TIE_TOL,
    UPPER,
    _tie_gap,
)
from simulation.engine.exchange_once import (
    cut_moves,
    equal_gain_moves,
    round_end,
    round_start,
)

_AHEAD = 8  # how many candidates ahead in a cell's list the recalculation loop prefetches
_BLOCK = 64  # candidates per block of the two-level maximum
# A candidate's state during selection: two rows of 8 floats, one cache line each. What every
# visit reads (hot): the check_nbs probes (partner's position minus the outcome, before and
# after each role's move), the last event that visited it (_OUT once out of play), whether a
# move was cut, its actors and issues (16 bits each, in one int64) and its score (the tree's,
# which rescoring reads). What a recalculation of its moves reads and writes (cold, fetched
# ahead only from the supply lists, where every visit needs it): the moves, outcome shifts and
# the sum of each role's earlier moves this round (their direction is the sum's sign: a role's
# later moves keep the direction of its first). A role's current supply position is its actor's,
# kept once per actor-issue (every candidate in play supplying a moved cell is visited). Plain
# arrays, not records: a record view costs reference counts. Whatever a visit reads is in its
# two lines or in tables small enough for the cache: reading the score, the out-of-play test,
# the last-visit mark and the updates tables from arrays of their own made the kernel 1.5 times
# slower (2026-12-03, `docs/performance.md`).
_T0I, _T1I, _T0J, _T1J, _SEEN, _CUT, _IDS, _SCORE = range(8)
_MI, _MJ, _DP, _DQ, _HIS, _HJS = range(6)
_ID_BITS = 16  # actors and issues must number fewer than 2**15 (the packed code is signed)
_ID_MASK = (1 << _ID_BITS) - 1
_OUT = -2  # _SEEN of a candidate out of play
_MOST_CANDIDATES = 2**30  # so that every row, list position and cell fits `_natural`'s 31 bits
_compiled_tie_gap = njit(cache=True, inline="always")(_tie_gap)  # the statement's own rule


@intrinsic
def _prefetch(typingctx, rows, row):
    """Ask the CPU to start loading rows[row] into its caches (LLVM's prefetch, for reading and
    writing): the recalculation loop reaches candidates in no memory order, and would otherwise
    wait for each one's cache lines in turn."""

    def codegen(context, builder, signature, args):
        array_type, row_type = signature.args
        array = context.make_array(array_type)(context, builder, args[0])
        first = [context.cast(builder, args[1], row_type, types.intp)]
        rest = [context.get_constant(types.intp, 0)] * (array_type.ndim - 1)
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, first + rest)
        byte_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0")
        # write access, high temporal locality, data cache
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(1), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(rows, row), codegen


@njit(cache=True, inline="always")
def _move_ok(move, x, hdir, hsum, lower, upper):
    """exchange._move_ok for one role: non-zero, inside the scale, same direction as before."""
    new = x + move
    return (abs(move) > MOVE_MIN and new >= lower - POS_TOL and new <= upper + POS_TOL
            and hsum + move <= upper - lower + POS_TOL and hdir * move >= 0)


@njit(cache=True, inline="always")
def _crosses(t0, t1):
    """check_nbs: the outcome passes the partner's position (np.minimum / np.maximum test)."""
    return (t0 < -POS_TOL and t1 > POS_TOL) or (t1 < -POS_TOL and t0 > POS_TOL)


@njit(cache=True, inline="always")
def _natural(index):
    """`index`, never negative here, shown to be so to the compiler (its low 31 bits): numba
    wraps negative array indices around, which costs a comparison and a selection at each use
    of an index the compiler cannot prove non-negative, such as one read from memory. Marking
    the visits' rows, list bounds and cells took the kernel to 0.84-0.91 of its time
    (2026-12-05)."""
    return index & 0x7FFFFFFF


@njit(cache=True, inline="always")
def _ids(code):
    """Actors i, j and issues p, q of a candidate (exchange._Pool.ids' first columns) from their
    packed code."""
    return (code & _ID_MASK, (code >> _ID_BITS) & _ID_MASK, (code >> 2 * _ID_BITS) & _ID_MASK,
            (code >> 3 * _ID_BITS) & _ID_MASK)


@njit(cache=True, inline="always")
def _evaluate(s_ip, s_iq, s_jp, s_jq, a_p, a_q, wx_iq, wx_jp, d_p, d_q, xi_d, xj_d, xi_s, xj_s,
              his, hjs, rest_i, own_i, rest_j, own_j, lower, upper):
    """exchange._evaluate of one candidate: (mi, mj, dp, dq, t0i, t1i, t0j, t1j, cut, score).

    a_*: outcome shift per unit move (W / den); wx_*: the mover's W x starting position; xi_d,
    xj_d: i's position on p and j's on q (where the partner moves to); xi_s, xj_s: i's current
    position on q and j's on p; his, hjs: the sums of their earlier moves this round; rest_*,
    own_*: the numerator of the expected outcome the mover (i on q, j on p) sees and its own
    recorded position there (NaN if none). Scalars only: arrays passed in a loop cost
    reference counts; inlined, as it runs millions of times a replication."""
    r_qp = (s_ip + s_jp) / (s_iq + s_jq)
    hid, hjd = np.sign(his), np.sign(hjs)
    di = xj_d - xi_s
    dj = xi_d - xj_s
    mi, mj, dp, dq, gain = equal_gain_moves(di, dj, a_p, a_q, r_qp, s_ip, s_iq)
    valid = (gain >= GAIN_MIN and _move_ok(mi, xi_s, hid, his, lower, upper)
             and _move_ok(mj, xj_s, hjd, hjs, lower, upper))
    # check_nbs, i (supply q) first, then j (supply p)
    was_cut = 0.0
    base = (rest_i - wx_iq) / d_q
    t0i = xj_d - (base + a_q * xi_s)
    t1i = t0i - a_q * mi
    if valid and _crosses(t0i, t1i):
        was_cut = 1.0
        pos = xi_s if np.isnan(own_i) else own_i
        mi, mj, dp, dq, gain = cut_moves(abs(xj_d - (base + a_q * pos)), True, di, dj, a_p,
                                         a_q, r_qp, s_ip, s_iq)
    base = (rest_j - wx_jp) / d_p
    t0j = xi_d - (base + a_p * xj_s)
    t1j = t0j - a_p * mj
    if valid and _crosses(t0j, t1j):
        was_cut = 1.0
        pos = xj_s if np.isnan(own_j) else own_j
        mi, mj, dp, dq, gain = cut_moves(abs(xi_d - (base + a_p * pos)), False, di, dj, a_p,
                                         a_q, r_qp, s_ip, s_iq)
    valid = (valid and _move_ok(mi, xi_s, hid, his, lower, upper)
             and _move_ok(mj, xj_s, hjd, hjs, lower, upper))
    return mi, mj, dp, dq, t0i, t1i, t0j, t1j, was_cut, gain if valid else -np.inf


@njit(cache=True, inline="always")
def _outcome_shift(demand, mover, cell_a, cell_b, ei, ej, shift_a, shift_b):
    """How far an event moved the outcome a mover sees through the table of its demand cell:
    `shift_a` if the event wrote that table (cell_a, recording ei) about someone else, likewise
    `shift_b` (cell_b, recording ej), else 0 (subtracting 0 changes no float)."""
    if demand == cell_a and mover != ei:
        return shift_a
    if demand == cell_b and mover != ej:
        return shift_b
    return 0.0


@njit(cache=True)
def _block_max(values, start):
    """The largest of values[start : start + _BLOCK] (a block maximum, exchange._Pool.bmax)."""
    top = -np.inf
    for at in range(start, start + _BLOCK):
        if values[at] > top:
            top = values[at]
    return top


@njit(cache=True, inline="always")
def _rescore(tree, blocks, supers, row, old, value):
    """exchange._Pool.rescore for one candidate: set its score from `old` to `value`, keeping
    the exact maxima of its block and super-block.

    ``tree``: the scores (padded to whole blocks), from ``blocks`` the blocks' maxima (padded to
    whole super-blocks), from ``supers`` the super-blocks' maxima. ``old`` is the candidate's
    score as its hot line keeps it, so that rescoring does not wait for the tree's copy."""
    tree[row] = value
    b = row // _BLOCK
    s = b // _BLOCK
    if value >= tree[blocks + b]:
        tree[blocks + b] = value
    elif old == tree[blocks + b]:
        tree[blocks + b] = _block_max(tree, b * _BLOCK)
    else:
        return
    if tree[blocks + b] >= tree[supers + s]:
        tree[supers + s] = tree[blocks + b]
    elif old == tree[supers + s]:
        tree[supers + s] = _block_max(tree, blocks + s * _BLOCK)


@njit(cache=True)
def _best(tree, blocks, supers):
    """exchange._Pool.best: the earliest row within the tie tolerance of the highest; -1 if none."""
    highest = -np.inf
    for s in range(supers, tree.size):
        highest = max(highest, tree[s])
    if highest == -np.inf:
        return -1
    threshold = highest - _compiled_tie_gap(highest, TIE_TOL)
    for s in range(tree.size - supers):
        if tree[supers + s] >= threshold:
            for b in range(s * _BLOCK, (s + 1) * _BLOCK):
                if tree[blocks + b] >= threshold:
                    for row in range(b * _BLOCK, (b + 1) * _BLOCK):
                        if tree[row] >= threshold:
                            return row
    return -1


@njit(cache=True, inline="always")
def _role_cells(i, j, p, q, k, demand):
    """The cells (actor x k + issue) a candidate holds in roles i and j: those it supplies (i on
    q, j on p) or, with `demand`, those it demands (i on p, j on q)."""
    i, j = np.int64(i), np.int64(j)
    cell_i, cell_j = (i * k + p, j * k + q) if demand else (i * k + q, j * k + p)
    return _natural(cell_i), _natural(cell_j)


@njit(cache=True)
def _cell_index(ci, cj, cp, cq, k, n_cells, demand):
    """exchange._cell_index of both roles (what exchange._Pool.rows_with reads): from each cell
    to the rows supplying it or, with `demand`, demanding it, as (starts, ends, rows). A cell's
    rows are rows[starts[c]:ends[c]], role i's first (their order changes no result), and ends
    shrink as removed rows are dropped. Each role is counted in a table of its own, so that a
    row's two cells do not wait on each other's count."""
    fill = np.zeros((2, n_cells), dtype=np.int64)
    for row in range(ci.size):
        cell_i, cell_j = _role_cells(ci[row], cj[row], cp[row], cq[row], k, demand)
        fill[0, cell_i] += 1
        fill[1, cell_j] += 1
    starts = np.empty(n_cells + 1, dtype=np.int64)
    starts[0] = 0
    for c in range(n_cells):
        size_i, size_j = fill[0, c], fill[1, c]
        fill[0, c], fill[1, c] = starts[c], starts[c] + size_i
        starts[c + 1] = starts[c] + size_i + size_j
    rows = np.empty(starts[n_cells], dtype=np.int32)
    for row in range(ci.size):
        cell_i, cell_j = _role_cells(ci[row], cj[row], cp[row], cq[row], k, demand)
        rows[fill[0, cell_i]] = row
        fill[0, cell_i] += 1
        rows[fill[1, cell_j]] = row
        fill[1, cell_j] += 1
    return starts, starts[1:].copy(), rows


@njit(cache=True)
def _write_update(upd, written, upd_sum, X0, W, a, r, u, y):
    """exchange._Round._write_updates: record u's new position y on issue r for actor a; return
    the change in the table's weighted sum. ``written`` says which cells of ``upd`` are set."""
    if written[a, r, u]:
        prev = upd[a, r, u]
        new = min(prev, y) if X0[u, r] <= prev else max(prev, y)
    else:
        written[a, r, u] = True
        new, prev = y, X0[u, r]
    upd[a, r, u] = new
    delta = W[u, r] * (new - prev)
    upd_sum[a, r] += delta
    return delta


@njit(cache=True)
def _select(X0, S, W, A, den, num, ci, cj, cp, cq, hot, cold, lower, upper):
    """exchange.select_exchanges(rule="reference") over the candidates (ci, cj, cp, cq; those
    not valid at the start are out of play from it, which leaves the valid ones' order as is):
    the realised exchanges' fields in REALISED_DTYPE order, in realisation order. ``hot`` and
    ``cold``: (m, 8) rows for the candidates' state, aligned on cache lines."""
    n, k = _natural(X0.shape[0]), _natural(X0.shape[1])
    m = _natural(ci.size)
    if m == 0:
        return np.empty((0, 13))
    ids = hot.view(np.int64)
    WX = W * X0
    nb = (m + _BLOCK - 1) // _BLOCK
    ns = (nb + _BLOCK - 1) // _BLOCK
    blocks, supers = _natural(nb * _BLOCK), _natural((nb + ns) * _BLOCK)
    tree = np.full(supers + ns, -np.inf)  # scores, block maxima, super-block maxima (_rescore)
    nan = np.nan
    for row in range(m):
        i, j, p, q = (_natural(np.int64(ci[row])), _natural(np.int64(cj[row])),
                      _natural(np.int64(cp[row])), _natural(np.int64(cq[row])))
        ids[row, _IDS] = i | (j << _ID_BITS) | (p << 2 * _ID_BITS) | (q << 3 * _ID_BITS)
        cold[row, _HIS], cold[row, _HJS] = 0.0, 0.0
        result = _evaluate(S[i, p], S[i, q], S[j, p], S[j, q], A[j, p], A[i, q], WX[i, q],
                           WX[j, p], den[p], den[q], X0[i, p], X0[j, q], X0[i, q], X0[j, p], 0.0,
                           0.0, num[q], nan, num[p], nan, lower, upper)
        cold[row, _MI], cold[row, _MJ], cold[row, _DP], cold[row, _DQ] = result[:4]
        hot[row, _T0I], hot[row, _T1I], hot[row, _T0J], hot[row, _T1J] = result[4:8]
        hot[row, _CUT], tree[row], hot[row, _SCORE] = result[8], result[9], result[9]
        ids[row, _SEEN] = -1 if result[9] > -np.inf else _OUT
    for b in range(nb):
        tree[blocks + b] = _block_max(tree, b * _BLOCK)
    for s in range(ns):
        tree[supers + s] = _block_max(tree, blocks + s * _BLOCK)
    sup_start, sup_end, sup_rows = _cell_index(ci, cj, cp, cq, k, n * k, False)
    dem_start, dem_end, dem_rows = _cell_index(ci, cj, cp, cq, k, n * k, True)

    pos = X0.ravel().copy()  # each actor-issue's present position
    upd = np.empty((n, k, n))  # read only where set: untouched pages cost nothing
    written = np.zeros((n, k, n), dtype=np.bool_)  # which of upd are set, small enough for cache
    upd_sum = np.zeros((n, k))
    out = np.empty((min(m, 16 * n * k), 13))
    count = 0
    while True:
        e = _best(tree, blocks, supers)
        if e < 0:
            break
        ei, ej, ep, eq = _ids(ids[e, _IDS])
        moved_i, moved_j = _natural(ei * k + eq), _natural(ej * k + ep)
        x_i, x_j = pos[moved_i], pos[moved_j]
        y_i = min(max(x_i + cold[e, _MI], lower), upper)
        y_j = min(max(x_j + cold[e, _MJ], lower), upper)
        if count == out.shape[0]:
            grown = np.empty((2 * count, 13))
            grown[:count] = out
            out = grown
        fields = (float(ei), float(ej), float(ep), float(eq), tree[e], x_i, y_i, x_j, y_j,
                  cold[e, _DP], cold[e, _DQ], X0[ei, ep] - hot[e, _T0J],
                  X0[ej, eq] - hot[e, _T0I])
        for column in range(13):
            out[count, column] = fields[column]
        count += 1
        _rescore(tree, blocks, supers, e, tree[e], -np.inf)
        ids[e, _SEEN] = _OUT
        pos[moved_i], pos[moved_j] = y_i, y_j
        # the updates tables: j (demanding q) records i's move, i (demanding p) records j's
        cell_a, cell_b = _natural(ej * k + eq), _natural(ei * k + ep)
        # the first candidates of each list the event walks, fetched all at once (the walks
        # fetch the rest _AHEAD candidates ahead)
        for cell in (moved_i, moved_j):
            for at in range(sup_start[cell], min(sup_end[cell], sup_start[cell] + _AHEAD)):
                _prefetch(hot, sup_rows[at])
                _prefetch(cold, sup_rows[at])
        for cell in (cell_a, cell_b):
            for at in range(dem_start[cell], min(dem_end[cell], dem_start[cell] + _AHEAD)):
                _prefetch(hot, dem_rows[at])
        delta_a = _write_update(upd, written, upd_sum, X0, W, ej, eq, ei, y_i)
        delta_b = _write_update(upd, written, upd_sum, X0, W, ei, ep, ej, y_j)
        shift_a, shift_b = delta_a / den[eq], delta_b / den[ep]  # the written issues' outcomes

        # recalculate every exchange in play supplying a moved cell or demanding a written one
        for part in range(4):
            if part < 2:
                cell = moved_i if part == 0 else moved_j
                lo, hi, rows, ends = sup_start[cell], sup_end[cell], sup_rows, sup_end
            else:
                cell = cell_a if part == 2 else cell_b
                lo, hi, rows, ends = dem_start[cell], dem_end[cell], dem_rows, dem_end
            lo, hi = _natural(lo), _natural(hi)
            kept = lo
            for at in range(lo, hi):
                if at + _AHEAD < hi:
                    _prefetch(hot, rows[at + _AHEAD])
                    if part < 2:
                        _prefetch(cold, rows[at + _AHEAD])
                row = _natural(np.int64(rows[at]))
                seen = ids[row, _SEEN]
                if seen == _OUT:
                    continue  # out for good: dropped from the index
                rows[kept] = row
                kept += 1
                if seen == count:
                    continue
                ids[row, _SEEN] = count
                i, j, p, q = _ids(ids[row, _IDS])
                cell_i, cell_j = _natural(i * k + q), _natural(j * k + p)
                if part < 2:
                    # A role whose supply cell moved keeps its previous move in its history
                    # (invalidate_exchange_by_supply); a moved role that now has to go back is
                    # out. Only the supply lists hold such roles: a candidate in play supplying
                    # a moved cell was reached there first.
                    turned = False
                    if cell_i in (moved_i, moved_j):
                        mi_old = cold[row, _MI]
                        cold[row, _HIS] += mi_old
                        turned |= np.sign(X0[j, q] - pos[cell_i]) * mi_old <= 0
                    if cell_j in (moved_i, moved_j):
                        mj_old = cold[row, _MJ]
                        cold[row, _HJS] += mj_old
                        turned |= np.sign(X0[i, p] - pos[cell_j]) * mj_old <= 0
                    if turned:
                        _rescore(tree, blocks, supers, row, hot[row, _SCORE], -np.inf)
                        ids[row, _SEEN] = _OUT
                        kept -= 1  # out for good: dropped from this list at once
                        continue
                else:
                    # the outcome each mover sees moved by this exchange's write of its demand
                    # cell (unless the write records the mover itself); in the supply lists the
                    # recalculation below sets the probes anew
                    shift = _outcome_shift(j * k + q, i, cell_a, cell_b, ei, ej, shift_a, shift_b)
                    if shift != 0.0:
                        hot[row, _T0I] -= shift
                        hot[row, _T1I] -= shift
                    shift = _outcome_shift(i * k + p, j, cell_a, cell_b, ei, ej, shift_a, shift_b)
                    if shift != 0.0:
                        hot[row, _T0J] -= shift
                        hot[row, _T1J] -= shift
                    # not cut before and not crossing now: a recalculation would give its
                    # present state
                    if not (hot[row, _CUT] > 0 or _crosses(hot[row, _T0I], hot[row, _T1I])
                            or _crosses(hot[row, _T0J], hot[row, _T1J])):
                        continue
                own_i = upd[j, q, i] if written[j, q, i] else nan
                rest_i = num[q] + upd_sum[j, q]
                if not np.isnan(own_i):
                    rest_i -= W[i, q] * (own_i - X0[i, q])
                own_j = upd[i, p, j] if written[i, p, j] else nan
                rest_j = num[p] + upd_sum[i, p]
                if not np.isnan(own_j):
                    rest_j -= W[j, p] * (own_j - X0[j, p])
                result = _evaluate(S[i, p], S[i, q], S[j, p], S[j, q], A[j, p], A[i, q], WX[i, q],
                                   WX[j, p], den[p], den[q], X0[i, p], X0[j, q], pos[cell_i],
                                   pos[cell_j], cold[row, _HIS], cold[row, _HJS], rest_i, own_i,
                                   rest_j, own_j, lower, upper)
                cold[row, _MI], cold[row, _MJ], cold[row, _DP], cold[row, _DQ] = result[:4]
                hot[row, _T0I], hot[row, _T1I], hot[row, _T0J], hot[row, _T1J] = result[4:8]
                hot[row, _CUT] = result[8]
                # most recalculations (94% of those in the supply lists) leave the score as it
                # was, and rescoring it would change no maximum
                if result[9] != hot[row, _SCORE]:
                    _rescore(tree, blocks, supers, row, hot[row, _SCORE], result[9])
                    hot[row, _SCORE] = result[9]
                if result[9] == -np.inf:
                    ids[row, _SEEN] = _OUT
                    kept -= 1
            ends[cell] = kept
    return out[:count]


def _rows(m: int) -> np.ndarray:
    """(m, 8) floats starting on a cache line (64 bytes), so each row fills one line."""
    room = np.empty(m * 8 + 8)
    start = -room.ctypes.data % 64 // 8
    return room[start:start + m * 8].reshape(m, 8)


def exchange_round_reference(
    X: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    salience_weight: float = SALIENCE_WEIGHT,
    fixed_weight: float = FIXED_WEIGHT,
    lower: float = LOWER,
    upper: float = UPPER,
) -> tuple[np.ndarray, np.ndarray]:
    """`exchange.exchange_round(..., rule="reference")`, compiled: (next positions, realised)."""
    if max(np.shape(X)) >= 2 ** (_ID_BITS - 1):
        raise ValueError(f"at most {2 ** (_ID_BITS - 1) - 1} actors and issues; "
                         f"got {np.shape(X)}")
    Xc, Sc, W, den, num, A, _, (ci, cj, cp, cq, _) = round_start(X, S, C, mask, lower, upper,
                                                                 evaluate=False)
    if ci.size >= _MOST_CANDIDATES:
        raise ValueError(f"at most {_MOST_CANDIDATES - 1:,} candidate exchanges a round; "
                         f"got {ci.size:,}")
    fields = _select(Xc, Sc, W, A, den, num, ci, cj, cp, cq, _rows(ci.size), _rows(ci.size),
                     lower, upper)
    return round_end(X, S, fields, salience_weight, fixed_weight)
