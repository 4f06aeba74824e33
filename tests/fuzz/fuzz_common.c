/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz_common.h"

static char dir[256];
static char paths[8][512];
static yima_key *secret;
static yima_keyring *ring, *public_ring;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_dir(void)
{
    nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    yima_keyring_free(ring);
    yima_keyring_free(public_ring);
    yima_key_free(secret);
}

const char *fz_dir(void)
{
    if (dir[0])
        return dir;
    const char *base = getenv("YIMA_FUZZ_TMPDIR");
    struct stat st;
    if (!base && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    if (!base)
        base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/yima-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fuzz: cannot make a scratch directory in %s: %s\n", base,
                strerror(errno));
        abort();
    }
    atexit(remove_dir);
    return dir;
}

const char *fz_path(int slot, const char *name)
{
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fz_dir(), name);
    return paths[slot];
}

void fz_write(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    const char *p = data;
    if (fd < 0 || fchmod(fd, mode) != 0) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        abort();
    }
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "fuzz: %s: write: %s\n", path, strerror(errno));
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

yima_key *fz_secret_key(void)
{
    unsigned char seed[32];
    yima_key *key = NULL;
    yima_err err = {0};
    memset(seed, FZ_SEED_BYTE, sizeof seed);
    if (yima_key_from_seed(&key, seed, FZ_KEY_ID, &err)) {
        fprintf(stderr, "fuzz: test key: %s\n", err.msg);
        abort();
    }
    return key;
}

static void add(yima_keyring *r, yima_key *key)
{
    yima_err err = {0};
    if (!r || yima_keyring_add(r, key, &err)) {
        fprintf(stderr, "fuzz: keyring: %s\n", err.msg);
        abort();
    }
}

static void make_keys(void)
{
    yima_err err = {0};
    yima_key *pub = NULL;
    secret = fz_secret_key();
    if (yima_key_save(secret, fz_path(0, "brand"), 1, &err) ||
        yima_key_load_public(&pub, fz_path(0, "brand.pub"), &err)) {
        fprintf(stderr, "fuzz: public test key: %s\n", err.msg);
        abort();
    }
    ring = yima_keyring_create();
    add(ring, fz_secret_key());
    public_ring = yima_keyring_create();
    add(public_ring, pub);
}

const yima_key *fz_secret(void)
{
    if (!secret)
        make_keys();
    return secret;
}

const yima_keyring *fz_ring(void)
{
    fz_secret();
    return ring;
}

const yima_keyring *fz_public_ring(void)
{
    fz_secret();
    return public_ring;
}

uint64_t fz_hash(const void *data, size_t size)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

char *fz_dup(const void *data, size_t size)
{
    char *p = malloc(size);
    if (!p)
        p = malloc(1); /* malloc(0) may be NULL; a NULL line is not what callers pass */
    if (!p) {
        fprintf(stderr, "fuzz: out of memory\n");
        abort();
    }
    if (size)
        memcpy(p, data, size);
    return p;
}
