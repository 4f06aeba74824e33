/* SPDX-License-Identifier: MIT */
/*
 * A line station on a pipe, as a camera's software drives one: writes its
 * events one at a time to a `yima link ... --realtime --ack import`, waits
 * for each event's acknowledgement (committed to the store), and measures
 * that wait. bench/link_lines.sh and tests/cli/link_lines.sh run it beside
 * a bulk import.
 *
 *   bench_link_station [-i MS] EVENTS.tsv CMD [ARG...]
 *
 * -i MS: pause between an acknowledgement and the next event [0].
 * SIGTERM or SIGINT: send no more events, then finish as at the end of the
 * file (so a benchmark times only the events sent during a bulk import).
 * Prints one line:
 *   station events=N applied=A skipped=S rejected=R first_ms=.. p50_ms=.. p99_ms=.. max_ms=.. exit=E
 * and exits 0 when CMD exited 0 and acknowledged every event in order.
 * The first event's wait includes CMD's start (the program loading and
 * opening the store: 20 ms on a quiet machine, 50 beside a bulk import),
 * not a running station's work: it is reported as first_ms, and the
 * percentiles count the events after it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_link_util.h"

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

typedef struct station {
    FILE *to, *from;
    pid_t pid;
    unsigned long events, outcome[3];
    double *ms;
    size_t cap;
} station;

/* Starts argv with its stdin and stdout on pipes to us. */
static int start(station *st, char **argv)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    st->pid = fork();
    if (st->pid < 0)
        return -1;
    if (st->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    st->to = fdopen(in[1], "w");
    st->from = fdopen(out[0], "r");
    return st->to && st->from ? 0 : -1;
}

/* Reads the acknowledgement of event number n ("SOURCE:n<TAB>outcome"). */
static int read_ack(station *st, unsigned long n)
{
    static const char *const word[] = {"applied", "skipped", "rejected"};
    char line[4096];
    if (!fgets(line, sizeof line, st->from)) {
        fprintf(stderr, "bench_link_station: no acknowledgement for event %lu\n", n);
        return -1;
    }
    char *tab = strchr(line, '\t'), *colon = tab ? memrchr(line, ':', (size_t)(tab - line)) : NULL;
    if (!colon || strtoul(colon + 1, NULL, 10) != n) {
        fprintf(stderr, "bench_link_station: event %lu acknowledged as: %s", n, line);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        if (!strncmp(tab + 1, word[i], strlen(word[i]))) {
            st->outcome[i]++;
            return 0;
        }
    fprintf(stderr, "bench_link_station: unknown outcome: %s", line);
    return -1;
}

static int send_all(station *st, FILE *events, int pause_ms)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    const struct timespec pause = {pause_ms / 1000, (long)(pause_ms % 1000) * 1000000};
    while (!rc && !stop && (len = getline(&line, &cap, events)) > 0) {
        if (st->events == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 1024;
            st->ms = realloc(st->ms, st->cap * sizeof *st->ms);
            if (!st->ms)
                return -1;
        }
        double t0 = now_ms();
        fwrite(line, 1, (size_t)len, st->to);
        fflush(st->to);
        rc = read_ack(st, ++st->events);
        st->ms[st->events - 1] = now_ms() - t0;
        if (pause_ms && !stop)
            nanosleep(&pause, NULL);
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    station st = {0};
    int pause_ms = 0, arg = 1, status = 0;
    if (argc > 2 && !strcmp(argv[1], "-i")) {
        pause_ms = atoi(argv[2]);
        arg = 3;
    }
    if (argc - arg < 2) {
        fprintf(stderr, "usage: bench_link_station [-i MS] EVENTS.tsv CMD [ARG...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    FILE *events = fopen(argv[arg], "r");
    if (!events || start(&st, argv + arg + 1)) {
        perror("bench_link_station");
        return 2;
    }
    int rc = send_all(&st, events, pause_ms);
    fclose(events);
    fclose(st.to);
    char rest[4096];
    while (fgets(rest, sizeof rest, st.from)) /* nothing more is due: count it as wrong */
        rc = -1;
    fclose(st.from);
    waitpid(st.pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double first = st.events ? st.ms[0] : 0;
    double *ms = st.ms + (st.events > 0);
    size_t n = st.events ? st.events - 1 : 0;
    if (n)
        sort_ms(ms, (int)n);
    printf("station events=%lu applied=%lu skipped=%lu rejected=%lu first_ms=%.3f p50_ms=%.3f "
           "p99_ms=%.3f max_ms=%.3f exit=%d\n", st.events, st.outcome[0], st.outcome[1],
           st.outcome[2], first, n ? ms[n / 2] : 0, n ? ms[(size_t)((n - 1) * 0.99)] : 0,
           n ? ms[n - 1] : 0, code);
    free(st.ms);
    return rc || code ? 1 : 0;
}
