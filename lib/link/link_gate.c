/* SPDX-License-Identifier: MIT */
/*
 * The writers' gate: a fair turn at the store among yima writers.
 *
 * SQLite lets one writer in at a time and makes the others poll; a bulk
 * import that commits and begins again at once wins every race, so a
 * station could wait for the whole import. The gate is a lock file beside
 * the store ("STORE-lock") with two bytes, locked with open file
 * description locks (per handle, released by the kernel when a process
 * dies, so a killed writer never leaves the gate shut):
 *   TURN  write-locked by the writer in a transaction; the others block on
 *         it in the kernel, and are woken the moment it is released.
 *   WANT  read-locked by every writer waiting for its turn, so the one in a
 *         transaction can see that someone waits: a bulk import then
 *         commits at once and stands back until the waiters are through.
 *   BULK  read-locked by a bulk import for as long as it is open, so the
 *         other writers leave copying the WAL back to it (see
 *         link_db_sqlite.c, sq_checkpoint_due).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "link_gate.h"

enum { TURN = 0, WANT = 1, BULK = 2 };

/* One byte at `at`: lock it as type (F_WRLCK, F_RDLCK, F_UNLCK). */
static int lock_byte(int fd, int cmd, int type, int at)
{
    struct flock fl = {.l_type = (short)type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, cmd, &fl)) < 0 && errno == EINTR)
        ;
    return rc;
}

static int gate_error(const char *path, const char *what, yima_err *err)
{
    return yima_err_set(err, YIMA_E_IO, "%s-lock: %s: %s", path, what, strerror(errno));
}

int lk_gate_open(lk_gate *g, const char *path, yima_err *err)
{
    g->fd = -1;
    g->held = 0;
    if (strcmp(path, ":memory:") == 0)
        return YIMA_OK; /* no file, no other writer */
    size_t n = strlen(path) + sizeof "-lock";
    char *name = malloc(n);
    if (!name)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    snprintf(name, n, "%s-lock", path);
    g->fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(name);
    return g->fd < 0 ? gate_error(path, "cannot open the writers' lock file", err) : YIMA_OK;
}

void lk_gate_close(lk_gate *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
}

int lk_gate_enter(lk_gate *g, const char *path, yima_err *err)
{
    if (g->fd < 0 || g->held)
        return YIMA_OK;
    if (lock_byte(g->fd, F_OFD_SETLK, F_RDLCK, WANT) < 0)
        return gate_error(path, "cannot signal a waiting writer", err);
    int rc = lock_byte(g->fd, F_OFD_SETLKW, F_WRLCK, TURN);
    int saved = errno;
    lock_byte(g->fd, F_OFD_SETLK, F_UNLCK, WANT);
    errno = saved;
    if (rc < 0)
        return gate_error(path, "cannot take the writers' turn", err);
    g->held = 1;
    return YIMA_OK;
}

void lk_gate_leave(lk_gate *g)
{
    if (g->held)
        lock_byte(g->fd, F_OFD_SETLK, F_UNLCK, TURN);
    g->held = 0;
}

/* 1 if another handle holds a lock on the byte at `at`. */
static int locked_elsewhere(const lk_gate *g, int at)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    if (g->fd < 0 || fcntl(g->fd, F_OFD_GETLK, &fl) < 0)
        return 0;
    return fl.l_type != F_UNLCK;
}

int lk_gate_waiting(const lk_gate *g)
{
    return locked_elsewhere(g, WANT);
}

void lk_gate_mark_bulk(lk_gate *g)
{
    if (g->fd >= 0)
        lock_byte(g->fd, F_OFD_SETLK, F_RDLCK, BULK); /* best effort: a hint */
}

int lk_gate_bulk_elsewhere(const lk_gate *g)
{
    return locked_elsewhere(g, BULK);
}
