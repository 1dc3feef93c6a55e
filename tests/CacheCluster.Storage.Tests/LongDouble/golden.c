/*
 * Golden-value generator for LongDoubleGoldenTests.cs (development only; not built or run by CI).
 * Reproduces Redis 7.0 util.c string2ld + INCRBYFLOAT's "value += incr" + ld2string(LD_STR_HUMAN)
 * with the platform's x86-64 80-bit long double (glibc strtold / snprintf).
 *
 *   gcc -O1 -o golden golden.c && ./golden parse < inputs    # one hex-encoded input per line
 *   ./golden add < pairs                                      # "hexA hexB" per line
 *
 * Output per line, tab separated:
 *   parse: <valid 0|1> <sign/exponent hex4>:<significand hex16> <ld2string human>
 *   add:   <status: BADA|BADB|NANINF|OK> <bits of the sum> <ld2string human of the sum>
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONG_DOUBLE_CHARS 5*1024

static int string2ld(const char *s, size_t slen, long double *dp) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf,s,slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace(buf[0]) || eptr[0] != '\0' ||
        (size_t)(eptr-buf) != slen ||
        (errno == ERANGE &&
            (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL ||
        isnan(value))
        return 0;

    if (dp) *dp = value;
    return 1;
}

static int ld2string_human(char *buf, size_t len, long double value) {
    size_t l = 0;
    if (isinf(value)) {
        if (value > 0) { memcpy(buf,"inf",3); l = 3; }
        else { memcpy(buf,"-inf",4); l = 4; }
    } else {
        l = snprintf(buf,len,"%.17Lf",value);
        if (l+1 > len) return 0;
        if (strchr(buf,'.') != NULL) {
            char *p = buf+l-1;
            while(*p == '0') { p--; l--; }
            if (*p == '.') l--;
        }
        if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; l = 1; }
    }
    buf[l] = '\0';
    return (int)l;
}

static size_t unhex(const char *h, char *out) {
    size_t n = 0;
    while (isxdigit((unsigned char)h[0]) && isxdigit((unsigned char)h[1])) {
        unsigned v; sscanf(h, "%2x", &v); out[n++] = (char)v; h += 2;
    }
    return n;
}

static void bits(long double v, char *out) {
    unsigned char b[16]; uint64_t m; uint16_t se;
    memset(b, 0, sizeof b); memcpy(b, &v, 10);
    memcpy(&m, b, 8); memcpy(&se, b + 8, 2);
    sprintf(out, "%04x:%016llx", se, (unsigned long long)m);
}

static char line[40000], a[20000], b[20000], out[MAX_LONG_DOUBLE_CHARS], bs[32];

int main(int argc, char **argv) {
    int add = argc > 1 && strcmp(argv[1], "add") == 0;
    while (fgets(line, sizeof line, stdin)) {
        long double x = 0, y = 0;
        if (!add) {
            size_t n = unhex(line, a);
            int ok = string2ld(a, n, &x);
            if (!ok) x = 0;
            bits(x, bs);
            ld2string_human(out, sizeof out, x);
            printf("%d\t%s\t%s\n", ok, bs, out);
        } else {
            char *sp = strchr(line, ' ');
            size_t na = unhex(line, a), nb = unhex(sp + 1, b);
            if (!string2ld(a, na, &x)) { printf("BADA\t-\t-\n"); continue; }
            if (!string2ld(b, nb, &y)) { printf("BADB\t-\t-\n"); continue; }
            x += y;
            bits(x, bs);
            if (isnan(x) || isinf(x)) { printf("NANINF\t%s\t-\n", bs); continue; }
            ld2string_human(out, sizeof out, x);
            printf("OK\t%s\t%s\n", bs, out);
        }
    }
    return 0;
}
