/* SPDX-License-Identifier: MIT */
/* The issue ledger; the format and its repair are described in ledger.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zlib.h>
#include "ledger.h"
#include "yima/gen.h"
#include "yima/code.h"

#define HEADER_V1 "yima-ledger 1"
#define HEADER_V2 "yima-ledger 2"
#define CRC_TAIL 10           /* " *" and 8 hex digits */
#define READ_BUF (64 * 1024)  /* a line longer than this is unparsable */
#define REPAIR "see 'Repairing the ledger' in yima-gen(1)"

char *yima_ledger_path(const char *key_path)
{
    size_t n = strlen(key_path);
    if (n > 4 && strcmp(key_path + n - 4, ".key") == 0)
        n -= 4;
    char *p = malloc(n + 8);
    if (p) {
        memcpy(p, key_path, n);
        strcpy(p + n, ".ledger");
    }
    return p;
}

/* ---- opening ---------------------------------------------------------- */

static int open_error(const char *path, yima_err *err)
{
    int e = errno;
    struct stat st;
    if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return yima_err_set(err, YIMA_E_IO,
                            "%s: the ledger is a symbolic link; refusing to follow it (give the "
                            "real file's path)",
                            path);
    return yima_err_set(err, YIMA_E_IO, "%s: cannot open ledger: %s", path, strerror(e));
}

/* Opens and locks the ledger, never through a symbolic link. O_NONBLOCK
 * keeps a FIFO planted at the path from hanging us before fstat refuses it.
 * *created tells whether this call made the file. */
static int open_locked(const char *path, int writing, int *fdp, int *created, yima_err *err)
{
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    int fd = -1;
    *created = 0;
    if (writing) {
        fd = open(path, flags | O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);
        if (fd >= 0)
            *created = 1;
        else if (errno == EEXIST)
            fd = open(path, flags | O_RDWR | O_APPEND);
    } else {
        fd = open(path, flags | O_RDONLY);
    }
    if (fd < 0)
        return open_error(path, err);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return yima_err_set(err, YIMA_E_IO, "%s: the ledger is not a regular file", path);
    }
    if (flock(fd, writing ? LOCK_EX : LOCK_SH) != 0) {
        int rc = yima_err_set(err, YIMA_E_IO, "%s: cannot lock ledger: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    *fdp = fd;
    return YIMA_OK;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct reader {
    int fd;
    off_t off;
    char *buf;
    size_t len, pos;
    int eof;
} reader;

/* Next line in *line (n bytes, without its newline); *nl says whether it
 * had one. Returns 1 for a line, 0 at the end, -1 on a read error, -2 for a
 * line longer than the buffer. */
static int next_line(reader *r, char **line, size_t *n, int *nl)
{
    for (;;) {
        char *s = r->buf + r->pos, *e = memchr(s, '\n', r->len - r->pos);
        if (e || (r->eof && r->pos < r->len)) {
            *line = s;
            *n = e ? (size_t)(e - s) : r->len - r->pos;
            *nl = e != NULL;
            r->pos += *n + (e != NULL);
            return 1;
        }
        if (r->eof)
            return 0;
        if (r->pos == 0 && r->len == READ_BUF)
            return -2;
        memmove(r->buf, s, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
        ssize_t k = pread(r->fd, r->buf + r->len, READ_BUF - r->len, r->off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        r->eof = k == 0;
        r->off += k;
        r->len += (size_t)k;
    }
}

typedef struct record {
    char type; /* 'R' or 'D' */
    char id[17];
    yima_ledger_range range;
    const char *output;
    size_t output_len;
} record;

/* Reads a decimal number ending at a space (or at end when last). */
static int parse_num(const char **p, const char *end, uint64_t max, int last, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (s == end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (d > max || x > (max - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    if (last ? s != end : (s == end || *s != ' '))
        return -1;
    *p = s + !last;
    *v = x;
    return 0;
}

static int parse_id(const char **p, const char *end, int last, char id[17])
{
    const char *s = *p;
    if (end - s < 16 + !last)
        return -1;
    for (int i = 0; i < 16; i++)
        if (!strchr("0123456789abcdef", s[i]) || !s[i])
            return -1;
    if (last ? s + 16 != end : s[16] != ' ')
        return -1;
    memcpy(id, s, 16);
    id[16] = 0;
    *p = s + 16 + !last;
    return 0;
}

/* 0.1 could glue a record onto a torn last line; the glued record then hides
 * in the output field. Such an output is refused rather than trusted. */
static int looks_glued(const char *out, size_t n)
{
    for (size_t i = 0; i + 2 + 16 <= n; i++) {
        if ((out[i] != 'R' && out[i] != 'D') || out[i + 1] != ' ')
            continue;
        size_t k = 0;
        while (k < 16 && strchr("0123456789abcdef", out[i + 2 + k]) && out[i + 2 + k])
            k++;
        if (k == 16 && (i + 18 == n || out[i + 18] == ' '))
            return 1;
    }
    return 0;
}

static const char *parse_body(const char *s, const char *end, int version, record *rec)
{
    uint64_t batch, level, when;
    rec->type = *s;
    if (end - s < 2 || s[1] != ' ' || (*s != 'R' && *s != 'D'))
        return "not a record";
    s += 2;
    if (rec->type == 'D')
        return parse_id(&s, end, 1, rec->id) ? "bad completion record" : NULL;
    if (parse_id(&s, end, 0, rec->id) || parse_num(&s, end, UINT32_MAX, 0, &batch) ||
        parse_num(&s, end, YIMA_LEVEL_PALLET, 0, &level) ||
        parse_num(&s, end, UINT64_MAX, 0, &rec->range.start) ||
        parse_num(&s, end, UINT64_MAX, 0, &rec->range.count))
        return "bad reservation fields";
    if (*s == '-') /* a clock before 1970: odd, but harmless */
        s++;
    if (parse_num(&s, end, UINT64_MAX, 0, &when))
        return "bad reservation time";
    if (rec->range.count == 0 || rec->range.count - 1 > UINT64_MAX - rec->range.start)
        return "empty or overflowing range";
    rec->range.batch = (uint32_t)batch;
    rec->range.level = (int)level;
    rec->output = s;
    rec->output_len = (size_t)(end - s);
    if (version == 1 && looks_glued(rec->output, rec->output_len))
        return "two records run together (a torn line was appended to)";
    return NULL;
}

/* Parses one line (without its newline). Returns NULL and rec->type 0 for
 * an empty line, NULL for a record, else why the line is bad. */
static const char *parse_line(const char *line, size_t n, int version, record *rec)
{
    rec->type = 0;
    if (n == 0)
        return NULL;
    if (memchr(line, 0, n))
        return "NUL byte";
    if (version == 2) {
        if (n < CRC_TAIL + 2)
            return "no checksum";
        char want[9];
        const char *end = line + n - CRC_TAIL;
        if (end[0] != ' ' || end[1] != '*')
            return "no checksum";
        snprintf(want, sizeof want, "%08lx", crc32(0, (const Bytef *)line, (uInt)(n - CRC_TAIL)));
        if (memcmp(want, end + 2, 8) != 0)
            return "checksum mismatch";
        n -= CRC_TAIL;
    }
    return parse_body(line, line + n, version, rec);
}

typedef int (*record_fn)(void *ctx, const record *rec, uint64_t lineno, yima_err *err);

typedef struct scan_result {
    int version;  /* 0 for an empty file */
    off_t size;   /* bytes read */
} scan_result;

static int line_error(const char *path, uint64_t lineno, const char *why, yima_err *err)
{
    return yima_err_set(err, YIMA_E_DATA,
                        "%s:%llu: unparsable ledger line (%s); refusing to guess which codes "
                        "were issued: %s",
                        path, (unsigned long long)lineno, why, REPAIR);
}

/* A last line without its newline. Format 2's checksum tells a whole record
 * (a hand edit lost the newline) from one cut short (a crash, a full disk);
 * format 1 cannot tell, so the message gives both repairs. */
static int torn_error(const char *path, uint64_t lineno, const char *line, size_t n,
                      int version, yima_err *err)
{
    record rec;
    const char *how = "if it is a whole record, end it with a newline; if it was cut short, "
                      "delete it";
    if (lineno > 1 && version == 2)
        how = parse_line(line, n, version, &rec)
                  ? "it was cut short (a crash or a full disk): delete that line"
                  : "it is a whole record that lost its newline: add the newline";
    return yima_err_set(err, YIMA_E_DATA,
                        "%s:%llu: torn ledger: the last line has no end of line; %s (%s)", path,
                        (unsigned long long)lineno, how, REPAIR);
}

static int scan_lines(reader *r, const char *path, scan_result *res, record_fn fn, void *ctx,
                      yima_err *err)
{
    char *line;
    size_t n;
    int nl, got;
    uint64_t lineno = 0;
    while ((got = next_line(r, &line, &n, &nl)) == 1) {
        lineno++;
        if (!nl)
            return torn_error(path, lineno, line, n, res->version, err);
        if (lineno == 1) {
            res->version = n == strlen(HEADER_V2) && !memcmp(line, HEADER_V2, n)   ? 2
                           : n == strlen(HEADER_V1) && !memcmp(line, HEADER_V1, n) ? 1
                                                                                   : -1;
            if (res->version < 0)
                return line_error(path, lineno, "not a yima ledger header", err);
            continue;
        }
        record rec;
        const char *why = parse_line(line, n, res->version, &rec);
        if (why)
            return line_error(path, lineno, why, err);
        int rc = rec.type && fn ? fn(ctx, &rec, lineno, err) : YIMA_OK;
        if (rc)
            return rc;
    }
    if (got == -2)
        return line_error(path, lineno + 1, "line too long", err);
    if (got == -1)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot read ledger: %s", path, strerror(errno));
    res->size = r->off;
    return YIMA_OK;
}

/* Reads the whole ledger, checking every line, calling fn for records. */
static int scan(int fd, const char *path, scan_result *res, record_fn fn, void *ctx,
                yima_err *err)
{
    reader r = {.fd = fd, .buf = malloc(READ_BUF)};
    memset(res, 0, sizeof *res);
    if (!r.buf)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = scan_lines(&r, path, res, fn, ctx, err);
    free(r.buf);
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

typedef struct overlap_check {
    const char *path;
    const yima_ledger_range *ranges;
    int n;
} overlap_check;

static int ranges_overlap(const yima_ledger_range *a, const yima_ledger_range *b)
{
    return a->batch == b->batch && a->level == b->level && a->start <= b->start + (b->count - 1) &&
           b->start <= a->start + (a->count - 1);
}

/* The output as the message shows it: escaped already in format 2, but 0.1
 * wrote it raw, and it goes to a terminal. */
static void printable(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        out[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    out[k] = 0;
}

static int check_overlap(void *ctx, const record *rec, uint64_t lineno, yima_err *err)
{
    overlap_check *c = ctx;
    if (rec->type != 'R')
        return YIMA_OK;
    for (int i = 0; i < c->n; i++) {
        if (!ranges_overlap(&c->ranges[i], &rec->range))
            continue;
        char out[256];
        printable(rec->output, rec->output_len, out, sizeof out);
        const yima_ledger_range *o = &rec->range;
        return yima_err_set(err, YIMA_E_LEDGER,
                            "batch %u %s indexes %llu..%llu were already issued (%s:%llu, to %s)",
                            o->batch, yima_level_name((yima_level)o->level),
                            (unsigned long long)o->start,
                            (unsigned long long)(o->start + (o->count - 1)), c->path,
                            (unsigned long long)lineno, out);
    }
    return YIMA_OK;
}

/* Appends output with control bytes, DEL and backslash as \xHH, so a
 * record stays one line whatever the file is called. Format 1 has no
 * checksum, and its reader refuses an output that holds what looks like a
 * glued record ("R <id> "), so there spaces are escaped too: a name can
 * never read as a record. */
static int append_escaped(yima_buf *b, const char *s, int version)
{
    int rc = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\' || (c == ' ' && version == 1)) {
            char hex[5];
            snprintf(hex, sizeof hex, "\\x%02x", c);
            rc |= yima_buf_append(b, hex, 4);
        } else {
            rc |= yima_buf_append(b, s, 1);
        }
    }
    return rc;
}

/* Ends the record begun at offset from: its checksum (format 2), newline. */
static int end_record(yima_buf *b, size_t from, int version)
{
    char tail[CRC_TAIL + 2];
    int n = version == 2 ? snprintf(tail, sizeof tail, " *%08lx\n",
                                    crc32(0, b->data + from, (uInt)(b->len - from)))
                         : snprintf(tail, sizeof tail, "\n");
    return yima_buf_append(b, tail, (size_t)n);
}

static int add_reservation(yima_buf *b, int version, const char *id, const yima_ledger_range *r,
                           const char *output)
{
    char head[160];
    size_t from = b->len;
    snprintf(head, sizeof head, "R %s %u %d %llu %llu %lld ", id, r->batch, r->level,
             (unsigned long long)r->start, (unsigned long long)r->count, (long long)time(NULL));
    int rc = yima_buf_append(b, head, strlen(head));
    rc |= append_escaped(b, output ? output : "", version);
    return rc | end_record(b, from, version);
}

static int add_completion(yima_buf *b, int version, const char *id)
{
    size_t from = b->len;
    int rc = yima_buf_append(b, "D ", 2);
    rc |= yima_buf_append(b, id, 16);
    return rc | end_record(b, from, version);
}

static void sync_parent(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Appends the records in one write() and makes them durable. On failure
 * the file is cut back to its old size, so no torn record stays behind. */
static int append_records(int fd, const char *path, off_t old_size, const yima_buf *b,
                          int created, yima_err *err)
{
    size_t done = 0;
    while (done < b->len) {
        ssize_t k = write(fd, b->data + done, b->len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    if (done == b->len && fsync(fd) == 0) {
        if (created)
            sync_parent(path);
        return YIMA_OK;
    }
    int e = errno ? errno : EIO;
    if (ftruncate(fd, old_size) != 0 || fsync(fd) != 0)
        return yima_err_set(err, YIMA_E_IO,
                            "%s: cannot write ledger (%s), and cannot remove the partial "
                            "record: %s",
                            path, strerror(e), REPAIR);
    return yima_err_set(err, YIMA_E_IO, "%s: cannot write ledger: %s", path, strerror(e));
}

/* Under the lock: checks the whole ledger, then appends what build makes. */
static int locked_append(const char *path, record_fn check, void *ctx,
                         int (*build)(yima_buf *b, int version, void *arg), void *arg,
                         yima_err *err)
{
    int fd, created;
    int rc = open_locked(path, 1, &fd, &created, err);
    if (rc)
        return rc;
    scan_result res;
    yima_buf b = {0};
    rc = scan(fd, path, &res, check, ctx, err);
    if (!rc) {
        int version = res.version ? res.version : 2;
        int bad = res.version ? 0 : yima_buf_append(&b, HEADER_V2 "\n", strlen(HEADER_V2) + 1);
        bad |= build(&b, version, arg);
        rc = bad ? yima_err_set(err, YIMA_E_NOMEM, "out of memory") : YIMA_OK;
    }
    if (!rc)
        rc = append_records(fd, path, res.size, &b, created, err);
    yima_buf_free(&b);
    close(fd); /* also releases the lock */
    return rc;
}

typedef struct reserve_arg {
    const yima_ledger_range *ranges;
    int n;
    const char *output, *id;
} reserve_arg;

static int build_reservation(yima_buf *b, int version, void *arg)
{
    reserve_arg *a = arg;
    int rc = 0;
    for (int i = 0; !rc && i < a->n; i++)
        rc = add_reservation(b, version, a->id, &a->ranges[i], a->output);
    return rc;
}

int yima_ledger_reserve(const char *path, const yima_ledger_range *ranges, int n,
                        const char *output, int force, char id[17], yima_err *err)
{
    for (int i = 0; i < n; i++)
        if (ranges[i].count == 0 || ranges[i].count - 1 > UINT64_MAX - ranges[i].start ||
            ranges[i].level < YIMA_LEVEL_ITEM || ranges[i].level > YIMA_LEVEL_PALLET)
            return yima_err_set(err, YIMA_E_INTERNAL, "bad ledger range");
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id, 17, raw, sizeof raw);
    overlap_check check = {path, ranges, n};
    reserve_arg arg = {ranges, n, output, id};
    return locked_append(path, force ? NULL : check_overlap, &check, build_reservation, &arg, err);
}

static int build_completion(yima_buf *b, int version, void *arg)
{
    return add_completion(b, version, arg);
}

int yima_ledger_complete(const char *path, const char id[17], yima_err *err)
{
    return locked_append(path, NULL, NULL, build_completion, (void *)id, err);
}

/* ---- the read API ----------------------------------------------------- */

struct yima_ledger_set {
    yima_ledger_range *r;
    size_t n, cap;
};

static int range_cmp(const yima_ledger_range *a, const yima_ledger_range *b)
{
    if (a->batch != b->batch)
        return a->batch < b->batch ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int range_qsort_cmp(const void *a, const void *b) { return range_cmp(a, b); }

static int collect(void *ctx, const record *rec, uint64_t lineno, yima_err *err)
{
    yima_ledger_set *s = ctx;
    (void)lineno;
    if (rec->type != 'R')
        return YIMA_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        yima_ledger_range *r = realloc(s->r, cap * sizeof *r);
        if (!r)
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        s->r = r;
        s->cap = cap;
    }
    s->r[s->n++] = rec->range;
    return YIMA_OK;
}

/* Sorts and merges overlapping or touching ranges (a forced re-issue
 * overlaps), so each lookup is one binary search. */
static void merge_ranges(yima_ledger_set *s)
{
    if (s->n == 0)
        return;
    qsort(s->r, s->n, sizeof *s->r, range_qsort_cmp);
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++) {
        yima_ledger_range *last = &s->r[k], *cur = &s->r[i];
        uint64_t last_end = last->start + (last->count - 1);
        if (cur->batch == last->batch && cur->level == last->level &&
            (cur->start <= last_end || cur->start - 1 == last_end)) {
            uint64_t cur_end = cur->start + (cur->count - 1);
            if (cur_end > last_end)
                last->count = cur_end - last->start + 1; /* cannot wrap: <= UINT64_MAX */
        } else {
            s->r[++k] = *cur;
        }
    }
    s->n = k + 1;
}

int yima_ledger_load(yima_ledger_set **setp, const char *path, yima_err *err)
{
    *setp = NULL;
    yima_ledger_set *s = calloc(1, sizeof *s);
    if (!s)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int fd, created;
    int rc = open_locked(path, 0, &fd, &created, err);
    if (!rc) {
        scan_result res;
        rc = scan(fd, path, &res, collect, s, err);
        close(fd);
    }
    if (rc) {
        yima_ledger_set_free(s);
        return rc;
    }
    merge_ranges(s);
    *setp = s;
    return YIMA_OK;
}

int yima_ledger_contains(const yima_ledger_set *s, uint32_t batch, int level, uint64_t index)
{
    yima_ledger_range key = {batch, level, index, 1};
    size_t lo = 0, hi = s->n; /* find the last range starting at or before key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (range_cmp(&s->r[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const yima_ledger_range *r = &s->r[lo - 1];
    return r->batch == batch && r->level == level && index - r->start <= r->count - 1;
}

size_t yima_ledger_set_size(const yima_ledger_set *s) { return s ? s->n : 0; }

void yima_ledger_set_free(yima_ledger_set *s)
{
    if (!s)
        return;
    free(s->r);
    free(s);
}
