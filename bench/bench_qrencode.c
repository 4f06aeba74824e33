/* SPDX-License-Identifier: MIT */
/*
 * libqrencode alone: the rate at which it encodes a file of payloads (one a
 * line) as QR symbols at ECC M, the smallest version each. yima render uses
 * libqrencode for every QR symbol, so this is the ceiling of a one-thread
 * render job: bench/labels.sh sets it beside yima render -j1.
 *
 *   bench_qrencode FILE
 *
 * Prints: qrencode symbols=N seconds=S rate=SYMBOLS_PER_SECOND
 * Exit status: 0 fine, 2 usage, 3 the file cannot be read or a payload
 * cannot be encoded.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <qrencode.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_qrencode FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 3;
    }
    char line[4096];
    unsigned long n = 0;
    double t0 = now();
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        QRcode *qr = QRcode_encodeString(line, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!qr) {
            fprintf(stderr, "%s:%lu: cannot encode\n", argv[1], n + 1);
            fclose(f);
            return 3;
        }
        QRcode_free(qr);
        n++;
    }
    double secs = now() - t0;
    fclose(f);
    printf("qrencode symbols=%lu seconds=%.3f rate=%.0f\n", n, secs, n / secs);
    return 0;
}
