/* SPDX-License-Identifier: MIT */
/* The ordered engine: order under random delays, error stop, bounded memory,
 * gzip members, and the line reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "io.h"
#include "testutil.h"

typedef struct order_ctx {
    uint64_t jobs, next, fail_at, in_flight, max_in_flight;
    yima_buf out;
} order_ctx;

static int order_read(void *ctx, yima_job *job, yima_err *err)
{
    order_ctx *o = ctx;
    (void)err;
    if (o->next == o->jobs)
        return YIMA_OK; /* an empty job: the end */
    job->start = o->next++;
    job->count = 1;
    __atomic_add_fetch(&o->in_flight, 1, __ATOMIC_SEQ_CST);
    return YIMA_OK;
}

static int order_work(void *ctx, void *worker, yima_job *job, yima_err *err)
{
    order_ctx *o = ctx;
    (void)worker;
    uint64_t now = __atomic_load_n(&o->in_flight, __ATOMIC_SEQ_CST);
    if (now > o->max_in_flight)
        o->max_in_flight = now; /* racy maximum is fine: it only grows */
    usleep((useconds_t)(rand() % 300));
    if (job->start == o->fail_at)
        return yima_err_set(err, YIMA_E_DATA, "job %llu failed", (unsigned long long)job->start);
    char text[32];
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)job->start);
    return yima_buf_append(&job->out, text, (size_t)n);
}

static int order_write(void *ctx, yima_job *job, yima_err *err)
{
    order_ctx *o = ctx;
    (void)err;
    __atomic_sub_fetch(&o->in_flight, 1, __ATOMIC_SEQ_CST);
    return yima_buf_append(&o->out, job->out.data, job->out.len);
}

static const yima_pipeline_ops order_ops = {order_read, order_work, order_write, NULL, NULL};

static void test_order_for_any_thread_count(void **state)
{
    (void)state;
    int threads[] = {1, 2, 3, 8};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        order_ctx o = {.jobs = 500, .fail_at = UINT64_MAX};
        yima_err err = {0};
        assert_int_equal(yima_pipeline_run(&order_ops, &o, threads[t], &err), YIMA_OK);
        char *p = (char *)o.out.data;
        for (uint64_t i = 0; i < o.jobs; i++) {
            assert_int_equal(strtoull(p, &p, 10), i);
            assert_int_equal(*p++, '\n');
        }
        assert_true(p == (char *)o.out.data + o.out.len);
        /* Constant memory: never more than 2 * threads jobs between read and write. */
        assert_true(o.max_in_flight <= 2 * (uint64_t)threads[t]);
        yima_buf_free(&o.out);
    }
}

static void test_error_stops_the_run(void **state)
{
    (void)state;
    order_ctx o = {.jobs = 1000, .fail_at = 37};
    yima_err err = {0};
    assert_int_equal(yima_pipeline_run(&order_ops, &o, 4, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "job 37 failed");
    assert_true(o.next < 1000); /* it stopped reading */
    assert_true(o.out.len <= 37 * 4); /* nothing after the failed job was written */
    yima_buf_free(&o.out);
}

static void test_gzip_members_concatenate(void **state)
{
    (void)state;
    yima_buf gz = {0};
    yima_err err = {0};
    assert_int_equal(yima_gzip_member("hello ", 6, 6, &gz, &err), YIMA_OK);
    assert_int_equal(yima_gzip_member("world\n", 6, 1, &gz, &err), YIMA_OK);
    char path[] = "/tmp/yima-gz-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, gz.data, gz.len), (ssize_t)gz.len);
    close(fd);
    gzFile f = gzopen(path, "rb");
    char back[64] = {0};
    assert_int_equal(gzread(f, back, sizeof back), 12);
    gzclose(f);
    unlink(path);
    assert_string_equal(back, "hello world\n");
    yima_buf_free(&gz);
}

static void test_line_reader_blocks(void **state)
{
    (void)state;
    char path[] = "/tmp/yima-lines-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 10000; i++)
        fprintf(f, "line %d%s", i, i == 10000 ? "" : "\n"); /* last line lacks its newline */
    fclose(f);
    yima_lines *lines;
    yima_err err = {0};
    yima_buf buf = {0};
    uint64_t first, n, expect = 1;
    assert_int_equal(yima_lines_open(&lines, path, &err), YIMA_OK);
    while (yima_lines_read(lines, &buf, 1000, &first, &n, &err) == 1) {
        assert_int_equal(first, expect);
        char want[32];
        snprintf(want, sizeof want, "line %llu", (unsigned long long)first);
        assert_memory_equal(buf.data, want, strlen(want));
        expect += n;
    }
    assert_int_equal(expect, 10001);
    yima_lines_close(lines);
    yima_buf_free(&buf);
    unlink(path);
}

static void test_output_is_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/yima-out-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/result.txt", dir);
    yima_out *out;
    yima_err err = {0};
    assert_int_equal(yima_out_open(&out, path, 0, 0, &err), YIMA_OK);
    assert_int_equal(yima_out_write(out, "partial", 7, &err), YIMA_OK);
    assert_int_equal(access(path, F_OK), -1); /* nothing that looks complete yet */
    yima_out_abort(out);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(yima_out_open(&out, path, 0, 0, &err), YIMA_OK);
    assert_int_equal(yima_out_write(out, "done", 4, &err), YIMA_OK);
    assert_int_equal(yima_out_commit(out, NULL, &err), YIMA_OK);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(yima_out_open(&out, path, 0, 0, &err), YIMA_E_EXISTS);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_for_any_thread_count),
        cmocka_unit_test(test_error_stops_the_run),
        cmocka_unit_test(test_gzip_members_concatenate),
        cmocka_unit_test(test_line_reader_blocks),
        cmocka_unit_test(test_output_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
