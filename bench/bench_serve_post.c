/* SPDX-License-Identifier: MIT */
/*
 * HTTP load for yima serve: CLIENTS threads POST the given files, each
 * file once, each client taking the next file as soon as its last answer
 * came back (one request at a time per client, a new connection each, as
 * a station's curl does). The files are read before the clock starts.
 *
 *   bench_serve_post PORT PATH TOKEN CLIENTS FILE...
 *
 * The server is on 127.0.0.1:PORT. Prints one line:
 *   post requests=N ok=N seconds=S p50_ms=.. p99_ms=.. max_ms=..
 * ok counts 2xx answers; the latency of a request runs from connect to
 * the answer's end. Exits 1 if any answer was not 2xx (the first is shown).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench_link_util.h"

typedef struct body {
    char *data;
    size_t len;
} body;

static body *bodies;
static int nbodies;
static double *ms;
static atomic_int next_body, ok;
static int port;
static const char *path, *token;
static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error[256];

static int load(const char *file, body *b)
{
    FILE *f = fopen(file, "rb");
    if (!f || fseek(f, 0, SEEK_END) || (b->len = (size_t)ftell(f), fseek(f, 0, SEEK_SET)) ||
        !(b->data = malloc(b->len + 1)) || fread(b->data, 1, b->len, f) != b->len) {
        fprintf(stderr, "bench_serve_post: cannot read %s\n", file);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One POST; the answer's status, or -1. */
static int post(const body *b, char *answer, size_t size)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
    if (fd < 0)
        return -1;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     path, token, b->len);
    size_t got = 0;
    if (!connect(fd, (struct sockaddr *)&a, sizeof a) && !send_all(fd, head, (size_t)n) &&
        !send_all(fd, b->data, b->len)) {
        ssize_t r;
        char drain[4096];
        /* The start of the answer is kept; the rest read to the end. */
        while ((r = read(fd, got + 1 < size ? answer + got : drain,
                         got + 1 < size ? size - 1 - got : sizeof drain)) > 0)
            got += got + 1 < size ? (size_t)r : 0;
        answer[got] = '\0';
        if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1)
            status = -1;
    }
    close(fd);
    return status;
}

static void *client(void *arg)
{
    (void)arg;
    char answer[256];
    for (int i; (i = atomic_fetch_add(&next_body, 1)) < nbodies;) {
        double t0 = now_ms();
        int status = post(&bodies[i], answer, sizeof answer);
        ms[i] = now_ms() - t0;
        if (status >= 200 && status < 300) {
            atomic_fetch_add(&ok, 1);
        } else {
            pthread_mutex_lock(&first_lock);
            if (!first_error[0])
                snprintf(first_error, sizeof first_error, "%s", status < 0 ? "no answer" : answer);
            pthread_mutex_unlock(&first_lock);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_serve_post PORT PATH TOKEN CLIENTS FILE...\n");
        return 2;
    }
    port = atoi(argv[1]);
    path = argv[2];
    token = argv[3];
    int clients = atoi(argv[4]);
    nbodies = argc - 5;
    bodies = calloc((size_t)nbodies, sizeof *bodies);
    ms = calloc((size_t)nbodies, sizeof *ms);
    pthread_t *t = calloc((size_t)clients, sizeof *t);
    if (!bodies || !ms || !t || clients < 1)
        return 2;
    for (int i = 0; i < nbodies; i++)
        if (load(argv[5 + i], &bodies[i]))
            return 2;
    double t0 = now_ms();
    for (int i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, client, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    double seconds = (now_ms() - t0) / 1e3;
    sort_ms(ms, nbodies);
    printf("post requests=%d ok=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", nbodies,
           atomic_load(&ok), seconds, ms[nbodies / 2], ms[(int)((nbodies - 1) * 0.99)],
           ms[nbodies - 1]);
    if (first_error[0])
        fprintf(stderr, "bench_serve_post: a request failed: %.200s\n", first_error);
    for (int i = 0; i < nbodies; i++)
        free(bodies[i].data);
    free(bodies);
    free(ms);
    free(t);
    return first_error[0] ? 1 : 0;
}
