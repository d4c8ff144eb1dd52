"""exp and log that the compiler can vectorise, for compiled kernels' inner loops.

numba's `math.exp` and `math.log` call the C library one value at a time (numba vectorises them
only with Intel's SVML, which needs an llvmlite built for it); these are branch-free polynomial
versions that LLVM turns into SIMD code, several values per instruction, about three times as
fast. Both are within 1 ulp of the C library's (tests/test_vector_math.py) on the domain the
kernels use: `vexp` of x <= 709 (below -708, where the result would be subnormal, it returns 0),
`vlog` of 0 (-inf) and of positive normal floats (subnormals count as 0). Method: for exp,
Cody-Waite range reduction and a Taylor polynomial, with 2^k built from the bits of the rounded
k (AVX2 has no vector conversion of floats to 64-bit integers: with one, the compiler converted
a vector's four values one at a time); for log, exponent split and log m = 2 atanh((m - 1)/(m +
1)) for m in [sqrt(1/2), sqrt(2)) with fdlibm's minimax polynomial. The loops that use them
must be compiled with `error_model="numpy"` (Python's model checks every division for zero,
which stops vectorising).
"""

from __future__ import annotations

import math

from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: x + _ROUND - _ROUND rounds x to an integer
_ROUND_BITS = 0x4338000000000000  # the bits of _ROUND
_SQRT_HALF = 0.7071067811865476
_SMALLEST_NORMAL = 2.2250738585072014e-308
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 1023 << 52
_EXPONENT_BITS = 0x433 << 52  # the bits of 2^52
_TWO_52 = 4503599627370496.0


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64, as an int64 (a reinterpretation, no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, i):
    """The float64 whose IEEE-754 bits are the int64 `i`."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@njit(inline="always")
def vexp(x: float) -> float:
    """e^x; 0 below -708 and for -inf."""
    y = min(max(x, -708.0), 709.0)
    shifted = y * _LOG2E + _ROUND  # 1.5 * 2^52 + k, k in the low bits of the significand
    k = shifted - _ROUND
    r = (y - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln(2)/2
    p = 1.0 / 6227020800.0  # Taylor to degree 13: truncation below 2e-17 relative
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    power = _float((_bits(shifted) - _ROUND_BITS + 1023) << 52)  # 2^k, no float-to-int conversion
    return p * power if x >= -708.0 else 0.0


@njit(inline="always")
def vlog(x: float) -> float:
    """ln x for x = 0 (-inf) or a positive normal float; subnormals count as 0."""
    bits = _bits(max(x, _SMALLEST_NORMAL))
    m = _float((bits & _MANTISSA) | _ONE_BITS)  # x = m 2^e, m in [1, 2)
    # e as a float without an int-to-float conversion (which AVX2 lacks): 2^52 + biased e
    e = _float((bits >> 52) | _EXPONENT_BITS) - (_TWO_52 + 1023.0)
    high = m > 2.0 * _SQRT_HALF
    m = m * 0.5 if high else m
    e = e + 1.0 if high else e  # m in [sqrt(1/2), sqrt(2))
    f = m - 1.0  # exact
    s = f / (2.0 + f)  # log m = 2 atanh(s), |s| < 0.172
    z = s * s
    # 2 atanh(s) = 2s + s z p(z), p a polynomial of degree 6 for 2/3 + 2/5 z + 2/7 z^2 + ...
    # (fdlibm's e_log.c Lg1..Lg7, a minimax fit: error below 2^-58.45)
    p = 1.479819860511658591e-01
    p = p * z + 1.531383769920937332e-01
    p = p * z + 1.818357216161805012e-01
    p = p * z + 2.222219843214978396e-01
    p = p * z + 2.857142874366239149e-01
    p = p * z + 3.999999999940941908e-01
    p = p * z + 6.666666666666735130e-01
    log_m = f - s * (f - p * z)  # 2s + s z p = f - s f + s z p, since 2s = f - s f
    value = (e * _LN2_HI + log_m) + e * _LN2_LO
    return value if x >= _SMALLEST_NORMAL else -math.inf
