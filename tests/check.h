/*
 * tests/check.h -- the unit tests' tiny assertion kit (header only).
 *
 * CHECK(cond) records a failure (file:line and the condition) and goes on;
 * CHECK_EQ_U64 prints both values. A test program calls check_done() last:
 * it prints "<program>: N passed, N failed" and returns the exit status
 * (0 only if nothing failed and at least one check ran).
 */
#ifndef CASHEW_TESTS_CHECK_H
#define CASHEW_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static unsigned long check_passed_count, check_failed_count;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            check_passed_count++;                                            \
        } else {                                                             \
            check_failed_count++;                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_EQ_U64(got, want)                                                \
    do {                                                                       \
        uint64_t check_got_ = (uint64_t)(got), check_want_ = (uint64_t)(want); \
        if (check_got_ == check_want_) {                                       \
            check_passed_count++;                                              \
        } else {                                                               \
            check_failed_count++;                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%" PRIu64          \
                    " != %" PRIu64 ")\n", __FILE__, __LINE__, #got, #want,     \
                    check_got_, check_want_);                                  \
        }                                                                      \
    } while (0)

static inline int check_done(const char *program)
{
    printf("%s: %lu passed, %lu failed\n", program, check_passed_count,
           check_failed_count);
    return (check_failed_count == 0 && check_passed_count > 0) ? 0 : 1;
}

#endif
