#!/usr/bin/env python3
"""
Regenerates LongDoubleGoldenData.cs from glibc (development only; CI uses the checked-in table).

    gcc -O1 -o /tmp/golden golden.c && python3 generate_golden.py /tmp/golden > LongDoubleGoldenData.cs

Needs an x86-64 Linux/glibc machine, where long double is the x87 80-bit format.
"""
import random, subprocess, sys
from fractions import Fraction

sys.set_int_max_str_digits(0)
R = random.Random(20240611)
GOLDEN = sys.argv[1]

def exact_dec(fr):
    """Exact decimal expansion of a dyadic rational."""
    n, d = fr.numerator, fr.denominator
    k = d.bit_length() - 1
    assert d == 1 << k
    sign = '-' if n < 0 else ''
    s = str(abs(n) * 5**k).rjust(k + 1, '0')
    return sign + (s[:len(s) - k] + ('.' + s[len(s) - k:] if k else ''))

def rand_dec():
    """1-25 significant digits, decimal exponent -30..30, in assorted spellings."""
    nd = R.randint(1, 25)
    digits = ''.join(R.choice('0123456789') for _ in range(nd))
    e = R.randint(-30, 30)
    sign = R.choice(['', '', '-', '+'])
    p = R.randint(0, nd)
    style = R.randint(0, 3)
    if style == 0: return sign + digits + R.choice('eE') + str(e)
    if style == 1: return sign + digits[:p] + '.' + digits[p:]
    if style == 2: return sign + digits[:p] + '.' + digits[p:] + 'e' + R.choice(['', '+', '-']) + str(abs(e))
    return sign + digits

def midpoint():
    """A decimal spelling of the exact midpoint between two adjacent long doubles (a tie), or just above it."""
    m = R.getrandbits(64) | (1 << 63)
    e = R.choice([R.randint(-70, 70), R.randint(-70, 70), R.randint(-200, -150)])
    s = exact_dec(Fraction(2 * m + 1) * Fraction(2) ** (e - 1))
    if R.random() < 0.3:
        s += '1' if '.' in s else '.0001'
    if s.startswith('0.'):
        f = s[2:]
        s = f.lstrip('0') + 'e-' + str(len(f))
    return s

def rand_hex():
    nd = R.randint(1, 20)
    h = ''.join(R.choice('0123456789abcdefABCDEF') for _ in range(nd))
    p = R.randint(0, nd)
    s = R.choice(['', '-']) + R.choice(['0x', '0X']) + h[:p] + ('.' if R.random() < .7 else '') + h[p:]
    if R.random() < 0.8:
        s += R.choice('pP') + str(R.choice([R.randint(-100, 100), R.randint(-16530, -16400), R.randint(16300, 16400)]))
    return s

def exact_hex(m, e, neg):
    return ('-' if neg else '') + '0x%xp%d' % (m, e)

FIXED = [
    # from the redis-server 7.0.15 differential run
    "10.50", "0.1", "10.6", "-5.0e3", "9223372036854775807", "1.5", "123456789012345678", "0.000001", "1e308", "3", "0x10",
    "1e400", "1e5000", "-1e5000", "1e-5000",
    # range edges: LDBL_MAX ~ 1.18973149535723176502e4932, smallest subnormal ~ 3.64519953188247460253e-4951
    "1e4931", "1e4932", "1.18973149535723176502e4932", "1.18973149535723176508e4932", "1.1897314953572317651e4932", "1.2e4932",
    "1e4933", "-1e4933", "1e-4940", "-1e-4940", "1e-4950", "3.6e-4951", "3.64519953188247460253e-4951", "1.8e-4951",
    "1.82259976594123730126e-4951", "1.823e-4951", "1e-4951", "1e-4952", "2.2250738585072014e-308", "4.9406564584124654e-324",
    "3.36210314311209350626e-4932", "3.3621031431120935062e-4932",
    # zeros and spellings
    "0", "-0", "+0", "0.0", "-0.0", "000", ".0", "0.", "-.0e5", "0e999999999999", "0.0e-99999999999999", "0x0p99999999999", "-0x0",
    ".5", "5.", "-.5", "+.5", "1e3", "1E3", "1e+3", "1e-3", "2.5e-1", "007", "00000000000000000000001", "0.1e1", "1.e5",
    "1e999999999999999", "1e-999999999999999", "-1e999999999999999",
    # refused spellings
    "", "1e", "1e+", "1e-", "e1", ".", "-", "+", "--1", "+-1", "-+1", " 1", "1 ", "\t1", "1\t", "\n1", "1\n", "\v1", "\f1", "\r1",
    "\x001", "1\x00", "\x00", "1_000", "1,5", "1.2.3", "abc", "1e1.5", "1..", "..1", "\xbd", "1\xbd", "0b101", "1d", "1f", "1L",
    # infinities and NaNs
    "inf", "-inf", "+inf", "INF", "Inf", "Infinity", "-INFINITY", "infinity", "iNfInItY", "infin", "infx", "inff", "in", "-in",
    "nan", "-nan", "+nan", "NaN", "NAN", "nan(123)", "nan()", "nan(", "nanx", "-nan(0x1)",
    # hex floats
    "0x", "-0x", "0x.", "0X", "0xg", "0x.p1", "0x1p", "0x1p+", "0x1p-", "0x1pa", "0x1.8p3", "0X1.8P3", "0x.8", "0x8.", "-0x10",
    "0x1P-1", "0xABCDEFp-4", "0xabc.defp+10", "0x1p-16445", "0x1p-16446", "0x1.8p-16446", "0x1.0000000001p-16446", "0x1p-16447",
    "0x1p16383", "0x1p16384", "0x1.fffffffffffffffep16383", "0x1.fffffffffffffffe8p16383", "0x1.fffffffffffffffffp16383",
    "0x1.00000000000000008p0", "0x1.00000000000000018p0", "0x1.000000000000000080000000000000000001p0", "0xffffffffffffffff8",
    "0x1p-16382", "0x0.fffffffffffffffep-16382", "0x0.000000000000000000001p0", "0x1p-100000000000",
    # integers near 2^63 / 2^64 / 2^65
    "9223372036854775806", "9223372036854775808", "9223372036854775809", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551614", "18446744073709551615", "18446744073709551616", "18446744073709551617",
    "36893488147419103229", "36893488147419103231", "36893488147419103233", "36893488147419103235",
    "4611686018427387903.5", "4611686018427387904.25", "9007199254740993", "79228162514264337593543950335",
    # %.17Lf rounding: exact ties at the 18th decimal (2^-18 = 0.000003814697265625) round half-even
    "0.000003814697265625", "0.000011444091796875", "-0.000003814697265625", "0.5", "0.25", "0.125",
    "1e-17", "5e-18", "-5e-18", "5.000000000000000001e-18", "1.5e-17", "2.5e-17", "9.5e-17", "0.00000000000000000500000000000000000000001",
    "0.12345678901234567890", "123.4500", "0.7", "0.8", "1.1", "2.2", "3.3", "-5", "2.25", "5.0e3", "200", "1e20", "1e300", "-1e300",
    "0.000000000000000001", "0.00000000000000001", "0.000000000000000009", "-0.000000000000000001", "-0.000000000000000009",
    "0.99999999999999999", "0.999999999999999995", "0.9999999999999999949", "9.999999999999999999",
    # very long spellings
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651",
    "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001234567890123456789",
    "1" + "0" * 400 + "e-400",
]

def escape(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif 32 <= o < 127: out.append(ch)
        else: out.append('\\u%04x' % o)
    return '"' + ''.join(out) + '"'

def enc(s): return s.encode('latin-1').hex()

def run(mode, lines):
    p = subprocess.run([GOLDEN, mode], input=('\n'.join(lines) + '\n').encode(), stdout=subprocess.PIPE, check=True)
    return [l.split('\t') for l in p.stdout.decode().split('\n')[:-1]]

# ---------------------------------------------------------------- parse table
inputs = list(FIXED)
inputs += [rand_dec() for _ in range(150)]
inputs += [midpoint() for _ in range(40)]
inputs += [rand_hex() for _ in range(40)]
inputs += [exact_dec(Fraction(R.getrandbits(64) | (1 << 63)) * Fraction(2) ** R.randint(-80, 40)) for _ in range(20)]
inputs += [''.join(R.choice('0123456789') for _ in range(R.randint(26, 60))) + 'e' + str(R.randint(-4990, 300)) for _ in range(25)]
seen = set()
inputs = [s for s in inputs if not (s in seen or seen.add(s))]
parsed = run('parse', [enc(s) for s in inputs])
assert len(parsed) == len(inputs)

# ---------------------------------------------------------------- sum table
valid = [s for s, r in zip(inputs, parsed) if r[0] == '1']
pairs = [
    ("10.50", "0.1"), ("10.6", "-5.0e3"), ("9223372036854775807", "1.5"), ("0", "123456789012345678"),
    ("123456789012345678", "0.000001"), ("0", "1e308"), ("1e308", "1e308"), ("3", "1e308"), ("0", "0x10"),
    ("1e400", "1"), ("1e400", "-1e400"), ("1e4932", "1e4932"), ("1.18973149535723176502e4932", "1e4913"),
    ("1.18973149535723176502e4932", "1e4912"), ("-1.18973149535723176502e4932", "-1.18973149535723176502e4932"),
    ("inf", "1"), ("inf", "inf"), ("-inf", "-1"), ("inf", "-inf"), ("-inf", "inf"), ("1", "-inf"), ("inf", "-1e4932"),
    ("0", "0"), ("0", "-0"), ("-0", "0"), ("-0", "-0"), ("3", "-3"), ("-3", "3"), ("1e-4940", "-1e-4940"), ("-1", "1"),
    ("1e-4950", "1e-4950"), ("1e-4950", "-1e-4951"), ("3.6e-4951", "3.6e-4951"), ("0x1p-16382", "-0x1p-16445"),
    ("0x1p-16382", "-0x1p-16382"), ("0x1.8p-16446", "0x1p-16445"), ("-0x1p-16445", "0"), ("1e-4940", "0"),
    ("0.1", "0.7"), ("1.1", "2.2"), ("-5", "2.25"), ("5.0e3", "200"), ("0.1", "0.2"), ("0.3", "-0.1"),
    ("79228162514264337593543950335", "79228162514264337593543950335"),
    ("18446744073709551615", "1"), ("18446744073709551615", "0.5"), ("18446744073709551614", "1"),
    ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "-1"), ("-9223372036854775808", "-0.5"),
    ("9223372036854775808", "-0.25"), ("1", "1e-19"), ("1", "-1e-19"), ("1", "0x1p-64"), ("1", "0x1p-63"), ("1", "0x1.8p-63"),
    ("1", "-0x1p-64"), ("1", "-0x1p-65"), ("1", "-0x1.00000001p-65"), ("0x1p64", "-0x1p0"), ("0x1p64", "-0x1p-1"),
    ("1e30", "1e-30"), ("1e308", "-1e292"), ("0.000003814697265625", "0"), ("0.000003814697265625", "0.000007629394531250"),
    ("0.000000000000000005", "0.000000000000000005"), ("-0.000000000000000005", "0.000000000000000001"),
    ("1e20", "0.00000000000000001"), ("99999999999999999.5", "0.5"), ("0.99999999999999999", "0.000000000000000005"),
]
for _ in range(150):
    pairs.append((rand_dec(), rand_dec()))
for _ in range(60):
    a = R.choice(valid); b = R.choice(valid)
    if R.random() < .3: b = a[1:] if a.startswith('-') else '-' + a.lstrip('+')
    pairs.append((a, b))
for _ in range(60):
    # exact long doubles (as hex) close in exponent, including subnormal and near-overflow regions
    region = R.choice(['sub'] * 3 + ['max'] + ['mid'] * 6)
    e0 = {'sub': -16380, 'max': 16384, 'mid': R.randint(-100, 100)}[region]
    def rnd():
        k = R.choice([64, 64, R.randint(1, 64)])
        m = R.getrandbits(k) | (1 << (k - 1))
        return m, max(e0 + R.randint(-3, 3) - k - R.choice([0, 0, 1, R.randint(0, 70)]), -16445)
    (m1, e1), (m2, e2) = rnd(), rnd()
    pairs.append((exact_hex(m1, e1, R.random() < .5), exact_hex(m2, e2, R.random() < .5)))
seen = set()
pairs = [p for p in pairs if not (p in seen or seen.add(p))]
summed = run('add', [enc(a) + ' ' + enc(b) for a, b in pairs])
rows = [(a, b, r) for (a, b), r in zip(pairs, summed) if r[0] in ('OK', 'NANINF')]

print("// <auto-generated>")
print("// Generated by generate_golden.py from golden.c on x86-64 glibc (gcc 12, glibc 2.36): Redis 7.0 util.c string2ld,")
print("// long double addition and ld2string(LD_STR_HUMAN). Do not edit by hand; regenerate instead.")
print("// </auto-generated>")
print("#nullable enable")
print("namespace CacheCluster.Storage.Tests.Float80;")
print()
print("internal static class LongDoubleGoldenData")
print("{")
print("    /// <summary>Input (Latin-1 chars = bytes), string2ld accepted, x87 bits \"sign/exponent:significand\" of the value")
print("    /// (zero when refused), ld2string human text of the value.</summary>")
print("    public static readonly (string Input, bool Valid, string Bits, string Human)[] Parses =")
print("    [")
for s, r in zip(inputs, parsed):
    print("        (%s, %s, \"%s\", %s)," % (escape(s), 'true' if r[0] == '1' else 'false', r[1], escape(r[2])))
print("    ];")
print()
print("    /// <summary>Both operands valid; Finite false means INCRBYFLOAT's \"would produce NaN or Infinity\" (Human is then null);")
print("    /// Bits are those of the long double sum.</summary>")
print("    public static readonly (string A, string B, bool Finite, string Bits, string? Human)[] Sums =")
print("    [")
for a, b, r in rows:
    print("        (%s, %s, %s, \"%s\", %s)," % (escape(a), escape(b), 'true' if r[0] == 'OK' else 'false', r[1], escape(r[2]) if r[0] == 'OK' else 'null'))
print("    ];")
print("}")
print("len parses", len(inputs), "sums", len(rows), "dropped", len(pairs) - len(rows), file=sys.stderr)
