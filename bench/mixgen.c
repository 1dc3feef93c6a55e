/* mixgen: a small closed-loop load generator for bench/workloads.py (the "mix" workload).
 *
 * C connections, each with one request in flight (pipeline depth 1, like redis-benchmark -P 1),
 * a GET/SET mix (default 90/10) over K keys drawn from a Zipf distribution (default s = 0.99,
 * the skew YCSB uses), spoken as RESP or as memcached text. Keys are "key:%012d" (the names
 * redis-benchmark uses); rank 0 is the hottest key. Latency is per request, send to full reply,
 * in a log-linear histogram (< 1% error). redis-benchmark cannot mix commands and memcaslap has no
 * key skew, hence this tool; it is compiled by workloads.py at run time (cc -O2), nothing else.
 *
 *   mixgen -p PORT [-h 127.0.0.1] [-P resp|mc] [-c 50] [-T 1] [-t 5] [-k 100000] [-z 0.99]
 *          [-g 0.9] [-d 32] [-L]   (-L: first SET every key once, pipelined, then run)
 *
 * Prints one line:
 *   MIXGEN proto=.. conns=.. seconds=.. ops=.. ops_per_sec=.. gets=.. sets=.. hits=.. misses=..
 *          errors=.. p50_ms=.. p99_ms=.. p999_ms=.. max_ms=..
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { RESP, MC };
static const char *host = "127.0.0.1";
static int port, proto = RESP, nconns = 50, nthreads = 1, nkeys = 100000, vsize = 32, preload;
static double seconds = 5, zipf_s = 0.99, get_ratio = 0.9;
static double *cdf;
static char *value;

/* log-linear histogram over nanoseconds: 128 sub-buckets per power of two */
#define SUB 7
#define NBUCKETS (256 + 56 * (1 << SUB))
static int bucket_of(uint64_t v) {
    if (v < 256) return (int)v;
    int e = 63 - __builtin_clzll(v);
    return 256 + (e - 8) * (1 << SUB) + (int)((v >> (e - SUB)) - (1 << SUB));
}
static double bucket_value(int i) { /* middle of the bucket */
    if (i < 256) return i;
    int e = (i - 256) / (1 << SUB) + 8, s = (i - 256) % (1 << SUB);
    double lo = (double)(((uint64_t)1 << SUB) + s) * (double)((uint64_t)1 << (e - SUB));
    return lo + (double)((uint64_t)1 << (e - SUB)) / 2;
}

static uint64_t now_ns(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

typedef struct {
    int fd, is_get;
    char *out; size_t out_len, out_off;
    char *in; size_t in_len, in_cap;
    uint64_t t0;
} conn_t;

typedef struct {
    int id, nconn;
    conn_t *conns;
    uint64_t rng, ops, gets, sets, hits, misses, errors, deadline;
    uint64_t *hist;
} worker_t;

static uint64_t rnd(uint64_t *s) { /* xorshift64* */
    uint64_t x = *s; x ^= x >> 12; x ^= x << 25; x ^= x >> 27; *s = x; return x * 0x2545F4914F6CDD1Dull;
}
static double urand(uint64_t *s) { return (rnd(s) >> 11) * (1.0 / 9007199254740992.0); }
static int zipf_key(uint64_t *s) {
    double u = urand(s);
    int lo = 0, hi = nkeys - 1;
    while (lo < hi) { int m = (lo + hi) / 2; if (cdf[m] < u) lo = m + 1; else hi = m; }
    return lo;
}

static void die(const char *m) { perror(m); exit(2); }

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Builds one request into buf (big enough), returns its length. */
static size_t build(char *buf, int is_get, int key) {
    char k[32]; int kl = snprintf(k, sizeof k, "key:%012d", key);
    size_t n;
    if (proto == RESP) {
        if (is_get) n = (size_t)sprintf(buf, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", kl, k);
        else {
            n = (size_t)sprintf(buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n", kl, k, vsize);
            memcpy(buf + n, value, (size_t)vsize); n += (size_t)vsize; memcpy(buf + n, "\r\n", 2); n += 2;
        }
    } else {
        if (is_get) n = (size_t)sprintf(buf, "get %s\r\n", k);
        else {
            n = (size_t)sprintf(buf, "set %s 0 0 %d\r\n", k, vsize);
            memcpy(buf + n, value, (size_t)vsize); n += (size_t)vsize; memcpy(buf + n, "\r\n", 2); n += 2;
        }
    }
    return n;
}

static const char *find_crlf(const char *p, size_t n) {
    for (size_t i = 0; i + 1 < n; i++) if (p[i] == '\r' && p[i + 1] == '\n') return p + i;
    return NULL;
}

/* Length of one complete reply at the start of p, 0 if incomplete. *kind: 1 hit, 0 miss/ok, -1 error. */
static size_t reply_len(const char *p, size_t n, int *kind) {
    const char *e = find_crlf(p, n);
    if (!e) return 0;
    size_t line = (size_t)(e - p) + 2;
    *kind = 0;
    if (proto == RESP) {
        if (p[0] == '-') { *kind = -1; return line; }
        if (p[0] != '$') return line; /* +OK, :n */
        long len = strtol(p + 1, NULL, 10);
        if (len < 0) return line;
        *kind = 1;
        return n >= line + (size_t)len + 2 ? line + (size_t)len + 2 : 0;
    }
    if (n >= 5 && memcmp(p, "END\r\n", 5) == 0) return 5;
    if (line > 6 && memcmp(p, "VALUE ", 6) == 0) {
        /* VALUE <key> <flags> <bytes> [<cas>] */
        const char *sp = p + 6; int field = 0; long bytes = 0;
        while (sp < e) {
            if (*sp == ' ') { field++; if (field == 2) bytes = strtol(sp + 1, NULL, 10); }
            sp++;
        }
        size_t need = line + (size_t)bytes + 2 + 5;
        *kind = 1;
        return n >= need ? need : 0;
    }
    if (line == 8 && memcmp(p, "STORED\r\n", 8) == 0) return line;
    *kind = -1;
    return line;
}

static void issue(worker_t *w, conn_t *c, int efd) {
    c->is_get = urand(&w->rng) < get_ratio;
    c->out_len = build(c->out, c->is_get, zipf_key(&w->rng));
    c->out_off = 0;
    c->t0 = now_ns();
    while (c->out_off < c->out_len) {
        ssize_t r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (r > 0) { c->out_off += (size_t)r; continue; }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
            epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev);
            return;
        }
        die("write");
    }
}

static void *run(void *arg) {
    worker_t *w = arg;
    int efd = epoll_create1(0);
    for (int i = 0; i < w->nconn; i++) {
        conn_t *c = &w->conns[i];
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        epoll_ctl(efd, EPOLL_CTL_ADD, c->fd, &ev);
        issue(w, c, efd);
    }
    struct epoll_event evs[256];
    for (;;) {
        uint64_t t = now_ns();
        if (t >= w->deadline) break;
        int n = epoll_wait(efd, evs, 256, (int)((w->deadline - t) / 1000000) + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) {
                while (c->out_off < c->out_len) {
                    ssize_t r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
                    if (r > 0) c->out_off += (size_t)r;
                    else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                    else die("write");
                }
                if (c->out_off == c->out_len) {
                    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
                    epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                if (c->in_cap - c->in_len < 65536) { c->in_cap = c->in_cap * 2 + 65536; c->in = realloc(c->in, c->in_cap); }
                ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
                if (r > 0) { c->in_len += (size_t)r; continue; }
                if (r == 0) { fprintf(stderr, "mixgen: server closed a connection\n"); exit(3); }
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                die("read");
            }
            int kind; size_t len = reply_len(c->in, c->in_len, &kind);
            if (!len) continue;
            uint64_t done = now_ns();
            memmove(c->in, c->in + len, c->in_len - len); c->in_len -= len;
            w->ops++;
            w->hist[bucket_of(done - c->t0)]++;
            if (c->is_get) { w->gets++; if (kind == 1) w->hits++; else if (kind == 0) w->misses++; }
            else w->sets++;
            if (kind < 0) w->errors++;
            if (done < w->deadline) issue(w, c, efd);
        }
    }
    close(efd);
    return NULL;
}

static void do_preload(void) {
    int fd = dial();
    size_t cap = (size_t)(vsize + 128) * 1000 + 65536;
    char *buf = malloc(cap), *in = malloc(1 << 20);
    for (int k = 0; k < nkeys; k += 1000) {
        int m = nkeys - k < 1000 ? nkeys - k : 1000;
        size_t n = 0;
        for (int j = 0; j < m; j++) n += build(buf + n, 0, k + j);
        for (size_t off = 0; off < n;) { ssize_t r = write(fd, buf + off, n - off); if (r <= 0) die("preload write"); off += (size_t)r; }
        size_t have = 0; int got = 0;
        while (got < m) {
            ssize_t r = read(fd, in + have, (1 << 20) - have);
            if (r <= 0) die("preload read");
            have += (size_t)r;
            size_t off = 0; int kind; size_t len;
            while (got < m && (len = reply_len(in + off, have - off, &kind)) > 0) {
                if (kind < 0) { fprintf(stderr, "mixgen: preload error: %.*s\n", (int)len, in + off); exit(3); }
                off += len; got++;
            }
            memmove(in, in + off, have - off); have -= off;
        }
    }
    close(fd); free(buf); free(in);
}

int main(int argc, char **argv) {
    int o;
    while ((o = getopt(argc, argv, "h:p:P:c:T:t:k:z:g:d:L")) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'P': proto = strcmp(optarg, "mc") == 0 ? MC : RESP; break;
        case 'c': nconns = atoi(optarg); break;
        case 'T': nthreads = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'k': nkeys = atoi(optarg); break;
        case 'z': zipf_s = atof(optarg); break;
        case 'g': get_ratio = atof(optarg); break;
        case 'd': vsize = atoi(optarg); break;
        case 'L': preload = 1; break;
        default: fprintf(stderr, "usage: see the comment at the top of mixgen.c\n"); return 2;
        }
    }
    if (!port || nconns < 1 || nthreads < 1 || nkeys < 1) { fprintf(stderr, "mixgen: give -p PORT\n"); return 2; }
    if (nthreads > nconns) nthreads = nconns;
    value = malloc((size_t)vsize); memset(value, 'x', (size_t)vsize);
    cdf = malloc(sizeof(double) * (size_t)nkeys);
    double sum = 0;
    for (int i = 0; i < nkeys; i++) { sum += 1.0 / pow(i + 1, zipf_s); cdf[i] = sum; }
    for (int i = 0; i < nkeys; i++) cdf[i] /= sum;
    if (preload) do_preload();

    worker_t *ws = calloc((size_t)nthreads, sizeof *ws);
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    for (int t = 0; t < nthreads; t++) {
        worker_t *w = &ws[t];
        w->id = t; w->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1) ^ (uint64_t)getpid();
        w->nconn = nconns / nthreads + (t < nconns % nthreads);
        w->conns = calloc((size_t)w->nconn, sizeof(conn_t));
        w->hist = calloc(NBUCKETS, sizeof(uint64_t));
        for (int i = 0; i < w->nconn; i++) {
            conn_t *c = &w->conns[i];
            c->fd = dial(); c->out = malloc((size_t)vsize + 128);
        }
    }
    uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9);
    for (int t = 0; t < nthreads; t++) { ws[t].deadline = deadline; pthread_create(&th[t], NULL, run, &ws[t]); }
    uint64_t ops = 0, gets = 0, sets = 0, hits = 0, misses = 0, errors = 0;
    static uint64_t hist[NBUCKETS];
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        ops += ws[t].ops; gets += ws[t].gets; sets += ws[t].sets; hits += ws[t].hits; misses += ws[t].misses; errors += ws[t].errors;
        for (int i = 0; i < NBUCKETS; i++) hist[i] += ws[t].hist[i];
    }
    double el = (double)(now_ns() - start) / 1e9;
    double q[4] = { 0.5, 0.99, 0.999, 1.0 }, qv[4] = { 0, 0, 0, 0 };
    for (int j = 0; j < 4; j++) {
        uint64_t want = (uint64_t)ceil(q[j] * (double)ops), acc = 0;
        if (want == 0) want = 1;
        for (int i = 0; i < NBUCKETS; i++) { acc += hist[i]; if (acc >= want) { qv[j] = bucket_value(i) / 1e6; break; } }
    }
    printf("MIXGEN proto=%s conns=%d seconds=%.2f ops=%llu ops_per_sec=%.0f gets=%llu sets=%llu hits=%llu misses=%llu errors=%llu "
           "p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
           proto == RESP ? "resp" : "mc", nconns, el, (unsigned long long)ops, (double)ops / el, (unsigned long long)gets,
           (unsigned long long)sets, (unsigned long long)hits, (unsigned long long)misses, (unsigned long long)errors,
           qv[0], qv[1], qv[2], qv[3]);
    return 0;
}
