/* SPDX-License-Identifier: MIT */
/*
 * Raw libsodium Ed25519 rates: the "raw rate x threads" baseline that
 * bench/run.sh sets beside yima gen --auth sig and yima verify.
 *
 *   bench_sodium sign|verify THREADS COUNT      COUNT operations in all
 *   bench_sodium sign|verify THREADS SECONDSs   every thread runs SECONDS
 *
 * Each thread signs (or verifies) distinct messages shaped like yima's:
 * "YIMA1" then an 18-character body (key id, header, length, 14-character
 * serial), 23 bytes in all. Verify checks signatures made beforehand,
 * outside the timed part, cycling through a small set per thread. The
 * timed part is from starting the threads to joining them. Prints the
 * wall-clock rate and the CPU-time rate (operations per CPU second of the
 * process over the timed part, which shared, busy machines disturb less):
 *   MODE threads=T ops=N seconds=S rate=OPS_PER_SECOND cpu=S cpu_rate=OPS_PER_CPU_SECOND
 * Exit status: 0 fine, 1 a signature failed to verify, 2 usage.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#define MSG_LEN 23
#define VERIFY_SET 256

typedef struct signed_msg {
    unsigned char msg[MSG_LEN], sig[crypto_sign_BYTES];
} signed_msg;

typedef struct worker {
    pthread_t tid;
    int id;
    uint64_t quota;    /* operations to do, or 0: run until the deadline */
    double deadline;
    const unsigned char *pk, *sk;
    signed_msg *set;   /* verify only */
    uint64_t done, failures;
} worker;

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

/* A distinct message per (thread, n), in yima's alphabet. */
static void make_message(unsigned char msg[MSG_LEN], int thread, uint64_t n)
{
    static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    memcpy(msg, "YIMA1" "00" "6" "E", 9);
    uint64_t x = n * 0x9E3779B97F4A7C15ull ^ (uint64_t)thread << 58;
    for (int i = MSG_LEN - 1; i >= 9; i--) {
        msg[i] = (unsigned char)digits[x & 31];
        x = x >> 5 | x << 59;
    }
}

static int keep_going(const worker *w, uint64_t i)
{
    if (w->quota)
        return i < w->quota;
    return (i & 15) || now() < w->deadline;
}

static void *sign_main(void *arg)
{
    worker *w = arg;
    unsigned char msg[MSG_LEN], sig[crypto_sign_BYTES];
    uint64_t i = 0;
    for (; keep_going(w, i); i++) {
        make_message(msg, w->id, i);
        crypto_sign_detached(sig, NULL, msg, sizeof msg, w->sk);
    }
    w->done = i;
    return NULL;
}

static void *verify_main(void *arg)
{
    worker *w = arg;
    uint64_t i = 0, bad = 0;
    for (; keep_going(w, i); i++) {
        const signed_msg *s = &w->set[i % VERIFY_SET];
        bad += crypto_sign_verify_detached(s->sig, s->msg, MSG_LEN, w->pk) != 0;
    }
    w->done = i;
    w->failures = bad;
    return NULL;
}

static signed_msg *make_set(int thread, const unsigned char *sk)
{
    signed_msg *s = malloc(VERIFY_SET * sizeof *s);
    for (size_t k = 0; s && k < VERIFY_SET; k++) {
        make_message(s[k].msg, thread, k);
        crypto_sign_detached(s[k].sig, NULL, s[k].msg, MSG_LEN, sk);
    }
    return s;
}

static int usage(void)
{
    fputs("usage: bench_sodium sign|verify THREADS COUNT|SECONDSs\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "sign") && strcmp(argv[1], "verify")))
        return usage();
    int verify = !strcmp(argv[1], "verify");
    char *end;
    long threads = strtol(argv[2], &end, 10);
    if (*end || threads < 1 || threads > 1024)
        return usage();
    double amount = strtod(argv[3], &end);
    int timed = *end == 's' && end[1] == '\0';
    if ((*end && !timed) || amount <= 0 || (!timed && amount > 1e15))
        return usage();
    if (sodium_init() < 0) {
        fputs("bench_sodium: sodium_init failed\n", stderr);
        return 2;
    }
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    worker *w = calloc((size_t)threads, sizeof *w);
    if (!w)
        return 2;
    uint64_t total = (uint64_t)amount;
    for (long t = 0; t < threads; t++) {
        w[t].id = (int)t;
        w[t].pk = pk;
        w[t].sk = sk;
        w[t].quota = timed ? 0 : total / (uint64_t)threads + ((uint64_t)t < total % (uint64_t)threads);
        if (verify && !(w[t].set = make_set((int)t, sk)))
            return 2;
    }
    double t0 = now(), c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long t = 0; t < threads; t++) {
        w[t].deadline = t0 + amount;
        if (pthread_create(&w[t].tid, NULL, verify ? verify_main : sign_main, &w[t]) != 0) {
            fputs("bench_sodium: cannot start a thread\n", stderr);
            return 2;
        }
    }
    uint64_t done = 0, failures = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(w[t].tid, NULL);
        done += w[t].done;
        failures += w[t].failures;
        free(w[t].set);
    }
    double secs = now() - t0, cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("%s threads=%ld ops=%llu seconds=%.3f rate=%.0f cpu=%.3f cpu_rate=%.0f\n", argv[1],
           threads, (unsigned long long)done, secs, (double)done / secs, cpu, (double)done / cpu);
    free(w);
    if (failures) {
        fprintf(stderr, "bench_sodium: %llu signatures failed to verify\n",
                (unsigned long long)failures);
        return 1;
    }
    return 0;
}
