/*
 * tests/test_meta.c -- unit tests of proto/meta: the meta request parser
 * (every flag of every command, every error, each line split at every
 * byte), base64 keys, the reply composers and the client side (request
 * composer, reply parser), with compose -> parse round trips.
 *
 * Every expected error and reply text here was checked against stock
 * memcached 1.6.18 (a probe script outside the tree sends the error table's
 * lines and the reply cases' requests and compares the answers), except
 * for the flags newer than 1.6.18 (E, x, ms N and s): their cases are
 * marked "newer" and follow proto/meta.h and the cashew-only blocks of
 * t/meta_*.t.
 */
#include "proto/meta.h"

#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

#define KEY250 \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY251 KEY250 "a"
#define FLAGS17 "c f h k l O1 q s t u v N1 R1 T1 P L F1"
#define FLAGS16 "c f h k l O1 q s t u v N1 R1 T1 P L"
#define OPAQUE31 "O1234567890123456789012345678901"
#define OPAQUE32 "O12345678901234567890123456789012"

static text_str view(const char *s)
{
    text_str v = { s, strlen(s) };
    return v;
}

static bool view_is(text_str v, const char *s)
{
    return v.len == strlen(s) && (v.len == 0 || memcmp(v.ptr, s, v.len) == 0);
}

static text_status parse_str(const char *line, meta_request *req)
{
    return meta_parse(line, strlen(line), req);
}

/* ---- error table (each line verified against memcached 1.6.18) ----------- */

typedef struct error_case {
    const char *line;
    meta_error error;
    uint64_t swallow;
} error_case;

static const error_case error_cases[] = {
    { "mg\r\n", META_ERR_UNKNOWN, 0 },
    { "ms\r\n", META_ERR_UNKNOWN, 0 },
    { "md\r\n", META_ERR_UNKNOWN, 0 },
    { "ma\r\n", META_ERR_UNKNOWN, 0 },
    { "mx k\r\n", META_ERR_UNKNOWN, 0 },
    { "me\r\n", META_ERR_BAD_FORMAT, 0 },
    { "me " KEY251 "\r\n", META_ERR_BAD_FORMAT, 0 },
    { "me foo b\r\n", META_ERR_BAD_FORMAT, 0 },
    { "me k b b\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k abc\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k abc Q\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k -1\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k 1x\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k 2147483647\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms " KEY251 " 1\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms " KEY251 " 1 Q\r\n", META_ERR_BAD_FORMAT, 0 },
    { "mg " KEY251 " v\r\n", META_ERR_BAD_FORMAT, 0 },
    { "mg " KEY251 " Tx\r\n", META_ERR_BAD_FORMAT, 0 },
    { "mg " KEY251 " " FLAGS17 " C1\r\n", META_ERR_BAD_FORMAT, 0 },
    { "md " KEY251 "\r\n", META_ERR_BAD_FORMAT, 0 },
    { "md " KEY251 " Q\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ma " KEY251 "\r\n", META_ERR_BAD_FORMAT, 0 },
    { "mg k S5\r\n", META_ERR_INVALID_FLAG, 0 },
    { "mg k 1\r\n", META_ERR_INVALID_FLAG, 0 },
    { "mg k [\r\n", META_ERR_INVALID_FLAG, 0 },
    { "mg k \tv\r\n", META_ERR_INVALID_FLAG, 0 },
    { "mg k Tx Q\r\n", META_ERR_INVALID_FLAG, 0 },
    { "ms k 1 S1\r\n", META_ERR_INVALID_FLAG, 3 },
    { "ms k 1 Q\r\n", META_ERR_INVALID_FLAG, 3 },
    { "ms k 1 MEE Q\r\n", META_ERR_INVALID_FLAG, 3 },
    { "ms k 1 Q MEE\r\n", META_ERR_INVALID_FLAG, 3 },
    { "mg k v v\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "mg k Tx v v\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "mg k P L Pfoo\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "mg k \x80\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "ms k 1 T1 T2\r\n", META_ERR_DUPLICATE_FLAG, 3 },
    { "md k q q\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k Tx\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k Cx\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md !!!! b\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k M\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k Dx\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k Jx\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k D-1\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k J-1\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k Tx\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k T1 T2\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "mg k Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k T\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k N\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Rx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Cx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k C-1\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k C18446744073709551616\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Tx F1 " OPAQUE32 "\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Tx Fx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Fx Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Mxx Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k b Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k N5 v Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Jx Tx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "ms k 1 Tx\r\n", META_ERR_BAD_TOKEN, 3 },
    { "ms k 1 Cx\r\n", META_ERR_BAD_TOKEN, 3 },
    { "mg k Fx\r\n", META_ERR_BAD_FORMAT, 0 },
    { "ms k 1 Fx\r\n", META_ERR_BAD_FORMAT, 3 },
    { "ms k 1 F-1\r\n", META_ERR_BAD_FORMAT, 3 },
    { "ms k 1 F18446744073709551616\r\n", META_ERR_BAD_FORMAT, 3 },
    { "mg k " OPAQUE32 "\r\n", META_ERR_OPAQUE_TOO_LONG, 0 },
    { "mg k O123456789012345678901234567890123\r\n", META_ERR_OPAQUE_TOO_LONG, 0 },
    { "mg k " OPAQUE32 " MX\r\n", META_ERR_OPAQUE_TOO_LONG, 0 },
    { "ms k 1 " OPAQUE32 "\r\n", META_ERR_OPAQUE_TOO_LONG, 3 },
    { "md k " OPAQUE32 "\r\n", META_ERR_OPAQUE_TOO_LONG, 0 },
    { "mg k b\r\n", META_ERR_DECODE_KEY, 0 },
    { "mg Zm9v= b k\r\n", META_ERR_DECODE_KEY, 0 },
    { "mg Zm9 b k\r\n", META_ERR_DECODE_KEY, 0 },
    { "mg Z b\r\n", META_ERR_DECODE_KEY, 0 },
    { "mg ==== b\r\n", META_ERR_DECODE_KEY, 0 },
    { "mg k Tx b\r\n", META_ERR_DECODE_KEY, 0 },
    { "ms !!!! 1 b\r\n", META_ERR_DECODE_KEY, 3 },
    { "ms bin 1 b\r\n", META_ERR_DECODE_KEY, 3 },
    { "mg k M\r\n", META_ERR_M_LENGTH, 0 },
    { "mg k Tx Mxx\r\n", META_ERR_M_LENGTH, 0 },
    { "ms k 1 MEE\r\n", META_ERR_M_LENGTH, 3 },
    { "ms k 1 MX\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 Me\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 Ms\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 Ma\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 Mp\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 Mr\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 " OPAQUE32 " MX\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 MX " OPAQUE32 "\r\n", META_ERR_SET_MODE, 3 },
    { "ma k MX\r\n", META_ERR_ARITH_MODE, 0 },
    { "ma k Mi\r\n", META_ERR_ARITH_MODE, 0 },
    { "ma k Md\r\n", META_ERR_ARITH_MODE, 0 },
    { "ma k " OPAQUE32 " MX\r\n", META_ERR_ARITH_MODE, 0 },
    { "mg k Dx\r\n", META_ERR_DELTA, 0 },
    { "ms k 1 Dx\r\n", META_ERR_DELTA, 3 },
    { "mg k Jx\r\n", META_ERR_INITIAL, 0 },
    { "mg k Tx Jx\r\n", META_ERR_INITIAL, 0 },
    { "mg k " FLAGS17 " C1\r\n", META_ERR_TOO_MANY_FLAGS, 0 },
    { "mg k " FLAGS17 " Q\r\n", META_ERR_TOO_MANY_FLAGS, 0 },
    { "mg k Q " FLAGS17 "\r\n", META_ERR_TOO_MANY_FLAGS, 0 },
    { "mg k " FLAGS17 " C1 M1 J1 D1 I\r\n", META_ERR_TOO_MANY_FLAGS, 0 },
    { "ms k 1 " FLAGS16 " F1\r\n", META_ERR_FLAGS_TOO_LONG, 0 },
    { "ms k abc " FLAGS17 "\r\n", META_ERR_FLAGS_TOO_LONG, 0 },
    { "ms k 1 " FLAGS17 " C1 J1 D1 I b a x y\r\n", META_ERR_FLAGS_TOO_LONG, 0 },
    { "md k " FLAGS17 " C1\r\n", META_ERR_FLAGS_TOO_LONG, 0 },
    { "ma k " FLAGS17 " C1\r\n", META_ERR_FLAGS_TOO_LONG, 0 },
};

/* newer: errors of the flags 1.6.18 does not know (E, x; N and s on ms). */
static const error_case newer_error_cases[] = {
    { "mg k E\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Eabc\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k E9 c Ex\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "mg k E-1\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k E18446744073709551616\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k N30 E1x c\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Ex Dx\r\n", META_ERR_DELTA, 0 },
    { "mg k Dx Ex\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k Ex Fx\r\n", META_ERR_BAD_TOKEN, 0 },
    { "mg k x xx\r\n", META_ERR_DUPLICATE_FLAG, 0 },
    { "mg k x E1 Q\r\n", META_ERR_INVALID_FLAG, 0 },
    { "ms k 2 Exyz c\r\n", META_ERR_BAD_TOKEN, 4 },
    { "ms k 2 E\r\n", META_ERR_BAD_TOKEN, 4 },
    { "ms k 2 C1 E1 E2\r\n", META_ERR_DUPLICATE_FLAG, 4 },
    { "ms k 1 MA Nx s\r\n", META_ERR_BAD_TOKEN, 3 },
    { "ms k 1 MA N5 N6\r\n", META_ERR_DUPLICATE_FLAG, 3 },
    { "ms k 1 s k s\r\n", META_ERR_DUPLICATE_FLAG, 3 },
    { "ms k 1 x E1 MX\r\n", META_ERR_SET_MODE, 3 },
    { "ms k 1 E1 " OPAQUE32 "\r\n", META_ERR_OPAQUE_TOO_LONG, 3 },
    { "md k Ex\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k I E\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k I E1 E2\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k x x\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k x Q\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "md k x E5 " OPAQUE32 "\r\n", META_ERR_OPAQUE_TOO_LONG, 0 },
    { "ma k Ex\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k E-1\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k N0 E1 E1\r\n", META_ERR_INVALID_OR_DUP, 0 },
    { "ma k E5 Mi\r\n", META_ERR_ARITH_MODE, 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_error_case(const error_case *c, size_t i)
{
    meta_request req = { 0 };
    text_status want = c->error == META_ERR_UNKNOWN ? TEXT_ERROR : TEXT_CLIENT_ERROR;
    text_status st = parse_str(c->line, &req);
    CHECK(st == want);
    CHECK(req.error == c->error);
    CHECK_EQ_U64(req.swallow, c->swallow);
    CHECK_EQ_U64(req.line_len, strlen(c->line));
    if (st != want || req.error != c->error)
        fprintf(stderr, "  line %zu: %.60s -> st %d error %d\n", i, c->line, st, req.error);
}

static void test_error_table(void)
{
    for (size_t i = 0; i < NELEM(error_cases); i++)
        check_error_case(&error_cases[i], i);
    for (size_t i = 0; i < NELEM(newer_error_cases); i++)
        check_error_case(&newer_error_cases[i], i);
}

static void test_error_strings(void)
{
    CHECK(strcmp(meta_error_str(META_ERR_NONE), "") == 0);
    CHECK(strcmp(meta_error_str(META_ERR_UNKNOWN), "ERROR\r\n") == 0);
    CHECK(strcmp(meta_error_str(META_ERR_INVALID_FLAG), "CLIENT_ERROR invalid flag\r\n") == 0);
    CHECK(strcmp(meta_error_str(META_ERR_BAD_DATA_CHUNK), "CLIENT_ERROR bad data chunk\r\n") == 0);
    CHECK(strcmp(meta_error_str(META_ERR_TOO_MANY_FLAGS),
                 "CLIENT_ERROR options flags are too long\r\n") == 0);
    CHECK(strcmp(meta_error_str(META_ERR_FLAGS_TOO_LONG),
                 "CLIENT_ERROR options flags too long\r\n") == 0);
    CHECK(strcmp(meta_error_str(META_ERR__COUNT), "") == 0);
    for (int e = META_ERR_UNKNOWN; e < META_ERR__COUNT; e++) {
        const char *s = meta_error_str((meta_error)e);
        size_t n = meta_error_len((meta_error)e);
        CHECK(n > 2 && s[n - 2] == '\r' && s[n - 1] == '\n');
        CHECK(strncmp(s, "ERROR", 5) == 0 || strncmp(s, "CLIENT_ERROR ", 13) == 0 ||
              strncmp(s, "SERVER_ERROR ", 13) == 0);
    }
}

/* ---- accepted lines: every flag of every command ---------------------------- */

static void test_noop_and_debug(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("mn\r\n", &req) == TEXT_OK && req.cmd == TEXT_META_NOOP);
    CHECK(parse_str("mn foo bar " FLAGS17 " C1 a b c d e\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_META_NOOP && req.nret == 0);
    CHECK(parse_str("mn\n", &req) == TEXT_OK && req.line_len == 3);

    CHECK(parse_str("me foo\r\n", &req) == TEXT_OK && req.cmd == TEXT_META_DEBUG);
    CHECK(view_is(meta_key(&req), "foo") && !req.key_binary);
    CHECK(parse_str("me foo x\r\n", &req) == TEXT_OK && view_is(meta_key(&req), "foo"));
    CHECK(parse_str("me k bx\r\n", &req) == TEXT_OK && !req.key_binary);
    CHECK(parse_str("me k " FLAGS17 " C1 a b\r\n", &req) == TEXT_OK);
    CHECK(parse_str("me Zm9v b\r\n", &req) == TEXT_OK && req.key_binary);
    CHECK(view_is(meta_key(&req), "foo") && view_is(req.wire_key, "Zm9v"));
    CHECK(parse_str("me " KEY250 "\r\n", &req) == TEXT_OK && meta_key(&req).len == 250);
}

static void test_get_flags(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("mg foo\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_META_GET && view_is(meta_key(&req), "foo") && req.nret == 0);
    CHECK(req.flagset == 0 && !req.quiet && !req.want_value && req.mode == META_MODE_NONE);

    const char *line = "mg foo s v f t c k O1 h l q u b\r\n";
    CHECK(parse_str("mg foo s v f t c k O1 h l q u\r\n", &req) == TEXT_OK);
    CHECK(req.nret == 8 && memcmp(req.ret, "sftckOhl", 8) == 0);
    CHECK(req.want_value && req.quiet && req.no_bump && req.has_opaque);
    CHECK(view_is(req.opaque, "1"));
    for (const char *p = "sftckOhlqvu"; *p; p++)
        CHECK(meta_has_flag(&req, *p));
    CHECK(!meta_has_flag(&req, 'b') && !meta_has_flag(&req, 'T') && !meta_has_flag(&req, '1'));
    CHECK(parse_str(line, &req) == TEXT_CLIENT_ERROR && req.error == META_ERR_DECODE_KEY);

    CHECK(parse_str("mg k N30 R-5 T2147483648 E\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.error == META_ERR_BAD_TOKEN);
    CHECK(parse_str("mg k N30 R-5 T2147483648\r\n", &req) == TEXT_OK);
    CHECK(req.has_vivify && req.vivify_ttl == 30);
    CHECK(req.has_recache && req.recache_ttl == -5);
    CHECK(req.has_ttl && req.ttl == INT32_MIN);
    CHECK(req.nret == 0);
    CHECK(parse_str("mg k T-2147483649 N+5 R0\r\n", &req) == TEXT_OK);
    CHECK(req.ttl == INT32_MAX && req.vivify_ttl == 5 && req.recache_ttl == 0 && req.has_recache);
    CHECK(parse_str("mg k T4294967296\r\n", &req) == TEXT_OK && req.ttl == 0);

    /* flags other commands use are accepted (and ignored) by mg */
    CHECK(parse_str("mg k C18446744073709551615 F1 MX D5 J6 I P L Lx\r\n", &req) ==
          TEXT_CLIENT_ERROR && req.error == META_ERR_DUPLICATE_FLAG);
    CHECK(parse_str("mg k C18446744073709551615 F1 MX D5 J6 I P Lx\r\n", &req) == TEXT_OK);
    CHECK(req.has_cas && req.cas == UINT64_MAX && req.client_flags == 1);
    CHECK(req.mode == META_MODE_NONE && req.delta == 5 && req.initial == 6 && req.invalidate);
    CHECK(parse_str("mg k O\r\n", &req) == TEXT_OK && req.has_opaque && req.opaque.len == 0);
    CHECK(req.nret == 1 && req.ret[0] == 'O');
    CHECK(parse_str("mg k " OPAQUE31 "\r\n", &req) == TEXT_OK && req.opaque.len == 31);
    CHECK(parse_str("mg k " FLAGS17 "\r\n", &req) == TEXT_OK && req.nret == 8);
    CHECK(parse_str("mg  k   c    f  \r\n", &req) == TEXT_OK && req.nret == 2);
    CHECK(view_is(req.wire_key, "k"));
    CHECK(parse_str("mg k Ixyz qq\r\n", &req) == TEXT_OK && req.invalidate && req.quiet);
    CHECK(parse_str("mg \xff k\r\n", &req) == TEXT_OK && view_is(meta_key(&req), "\xff"));
    CHECK(parse_str("mg " KEY250 " v\r\n", &req) == TEXT_OK && req.wire_key.len == 250);
    /* a NUL ends the line's content, as memcached reads a C string */
    CHECK(meta_parse("mg k v\0 Q\r\n", 11, &req) == TEXT_OK && req.want_value);
    CHECK(req.line_len == 11);
    CHECK(!req.has_new_cas && req.new_cas == 0 && !req.remove_value);

    /* newer: E (the vivified item's cas) and x (accepted, unused by mg) */
    CHECK(parse_str("mg ek N30 E5000 c\r\n", &req) == TEXT_OK);
    CHECK(req.has_new_cas && req.new_cas == 5000 && req.has_vivify && req.vivify_ttl == 30);
    CHECK(req.nret == 1 && req.ret[0] == 'c' && meta_has_flag(&req, 'E'));
    CHECK(parse_str("mg k E0\r\n", &req) == TEXT_OK && req.has_new_cas && req.new_cas == 0);
    CHECK(parse_str("mg k E18446744073709551615 x\r\n", &req) == TEXT_OK);
    CHECK(req.new_cas == UINT64_MAX && req.remove_value && req.nret == 0);
    CHECK(parse_str("mg k E+7 xyz\r\n", &req) == TEXT_OK && req.new_cas == 7 && req.remove_value);
}

static void test_set_flags(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("ms foo 2\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_META_SET && req.nbytes == 2 && req.mode == META_MODE_SET);
    CHECK(!req.has_client_flags && req.client_flags == 0 && !req.has_ttl && req.swallow == 0);
    CHECK(parse_str("ms foo 2 T0 F5 c k O123 b\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.error == META_ERR_DECODE_KEY && req.swallow == 4);
    CHECK(parse_str("ms foo 2 T0 F5 c k O123 q I C99 s t f\r\n", &req) == TEXT_OK);
    CHECK(req.has_ttl && req.ttl == 0 && req.has_client_flags && req.client_flags == 5);
    CHECK(req.quiet && req.invalidate && req.has_cas && req.cas == 99);
    CHECK(req.nret == 4 && memcmp(req.ret, "ckOs", 4) == 0 && view_is(req.opaque, "123"));
    CHECK(!req.has_new_cas && !req.has_vivify && !req.remove_value);
    CHECK(parse_str("ms k 0 F4294967297\r\n", &req) == TEXT_OK && req.client_flags == 1);
    CHECK(req.nbytes == 0);
    CHECK(parse_str("ms k 1 F+7\r\n", &req) == TEXT_OK && req.client_flags == 7);
    CHECK(parse_str("ms k 1 F18446744073709551615\r\n", &req) == TEXT_OK);
    CHECK(req.client_flags == UINT32_MAX);
    CHECK(parse_str("ms k 2147483645\r\n", &req) == TEXT_OK && req.nbytes == 2147483645u);
    CHECK(parse_str("ms k 4294967297\r\n", &req) == TEXT_OK && req.nbytes == 1);

    static const struct { const char *m; meta_mode mode; } modes[] = {
        { "MS", META_MODE_SET }, { "ME", META_MODE_ADD }, { "MA", META_MODE_APPEND },
        { "MP", META_MODE_PREPEND }, { "MR", META_MODE_REPLACE },
    };
    for (size_t i = 0; i < NELEM(modes); i++) {
        char line[64];
        snprintf(line, sizeof(line), "ms k 1 %s c\r\n", modes[i].m);
        CHECK(parse_str(line, &req) == TEXT_OK && req.mode == modes[i].mode);
        CHECK(req.nret == 1 && req.ret[0] == 'c');
    }
    CHECK(parse_str("ms k 1 " FLAGS16 "\r\n", &req) == TEXT_OK && req.nret == 4);
    CHECK(memcmp(req.ret, "ckOs", 4) == 0);
    CHECK(parse_str("ms Zm9v 3 b k c\r\n", &req) == TEXT_OK && req.key_binary);
    CHECK(view_is(meta_key(&req), "foo") && req.nret == 2);

    /* newer: E (explicit new cas), s (stored size), N with MA/MP (vivify) */
    CHECK(parse_str("ms ecas 2 E777 c\r\n", &req) == TEXT_OK);
    CHECK(req.has_new_cas && req.new_cas == 777 && !req.has_cas && req.mode == META_MODE_SET);
    CHECK(parse_str("ms ecas 2 C777 E778\r\n", &req) == TEXT_OK);
    CHECK(req.has_cas && req.cas == 777 && req.has_new_cas && req.new_cas == 778);
    CHECK(parse_str("ms sz 2 MA s k\r\n", &req) == TEXT_OK && req.mode == META_MODE_APPEND);
    CHECK(req.nret == 2 && memcmp(req.ret, "sk", 2) == 0);
    CHECK(parse_str("ms viv 3 MA N30\r\n", &req) == TEXT_OK && req.mode == META_MODE_APPEND);
    CHECK(req.has_vivify && req.vivify_ttl == 30 && !req.has_ttl && req.nbytes == 3);
    CHECK(parse_str("ms viv 3 N-1 MP T9 x\r\n", &req) == TEXT_OK);
    CHECK(req.mode == META_MODE_PREPEND && req.has_vivify && req.vivify_ttl == -1);
    CHECK(req.has_ttl && req.ttl == 9 && req.remove_value);
    CHECK(parse_str("ms k 1 N5\r\n", &req) == TEXT_OK && req.has_vivify && req.mode == META_MODE_SET);
}

static void test_delete_flags(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("md foo\r\n", &req) == TEXT_OK && req.cmd == TEXT_META_DELETE);
    CHECK(parse_str("md foo q I T30 C7 k O5 b\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.error == META_ERR_INVALID_OR_DUP);
    CHECK(parse_str("md Zm9v q I T30 C7 k O5 b v c t s\r\n", &req) == TEXT_OK);
    CHECK(req.quiet && req.invalidate && req.has_ttl && req.ttl == 30 && req.has_cas);
    CHECK(req.cas == 7 && req.key_binary && view_is(meta_key(&req), "foo"));
    CHECK(req.nret == 2 && memcmp(req.ret, "kO", 2) == 0);
    CHECK(parse_str("md k MX\r\n", &req) == TEXT_OK && req.mode == META_MODE_NONE);
    CHECK(parse_str("md k " FLAGS17 "\r\n", &req) == TEXT_OK);
    CHECK(!req.remove_value && !req.has_new_cas);

    /* newer: x (empty the value, keep the item) and E (the kept item's cas) */
    CHECK(parse_str("md xk x\r\n", &req) == TEXT_OK && req.remove_value && !req.invalidate);
    CHECK(req.nret == 0 && meta_has_flag(&req, 'x'));
    CHECK(parse_str("md ee I E888\r\n", &req) == TEXT_OK && req.invalidate);
    CHECK(req.has_new_cas && req.new_cas == 888 && !req.remove_value);
    CHECK(parse_str("md k x T30 E1 C2 q k\r\n", &req) == TEXT_OK && req.remove_value);
    CHECK(req.has_ttl && req.ttl == 30 && req.new_cas == 1 && req.cas == 2 && req.quiet);
    CHECK(req.nret == 1 && req.ret[0] == 'k');
}

static void test_arith_flags(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("ma foo\r\n", &req) == TEXT_OK && req.cmd == TEXT_META_ARITH);
    CHECK(req.mode == META_MODE_INCR && req.delta == 1 && req.initial == 0);
    CHECK(parse_str("ma foo N0 J+1 D18446744073709551615 T9 C3 q v t c k O5 MD\r\n", &req) ==
          TEXT_OK);
    CHECK(req.has_vivify && req.vivify_ttl == 0 && req.initial == 1 && req.delta == UINT64_MAX);
    CHECK(req.has_ttl && req.ttl == 9 && req.has_cas && req.cas == 3 && req.quiet);
    CHECK(req.want_value && req.mode == META_MODE_DECR);
    CHECK(req.nret == 4 && memcmp(req.ret, "tckO", 4) == 0);
    CHECK(parse_str("ma k MI\r\n", &req) == TEXT_OK && req.mode == META_MODE_INCR);
    CHECK(parse_str("ma k M+\r\n", &req) == TEXT_OK && req.mode == META_MODE_INCR);
    CHECK(parse_str("ma k M-\r\n", &req) == TEXT_OK && req.mode == META_MODE_DECR);
    CHECK(parse_str("ma k " FLAGS17 "\r\n", &req) == TEXT_OK && req.nret == 4);
    CHECK(parse_str("ma k " OPAQUE32 "\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.error == META_ERR_OPAQUE_TOO_LONG);

    /* newer: E (the new item's cas, also for a vivified one) */
    CHECK(parse_str("ma n E999 c v\r\n", &req) == TEXT_OK);
    CHECK(req.has_new_cas && req.new_cas == 999 && req.want_value && req.mode == META_MODE_INCR);
    CHECK(parse_str("ma ecr N0 J4 E4242 c v\r\n", &req) == TEXT_OK);
    CHECK(req.has_vivify && req.initial == 4 && req.new_cas == 4242 && req.nret == 1);
}

/* text_parse hands every meta line over (req.meta set whatever the status). */
static void test_text_handover(void)
{
    const char *lines[] = { "mg\r\n", "ms k\r\n", "mg " KEY251 "\r\n", "mn\r\n", "me k\r\n",
                            "ma k\r\n", "md k\r\n", "ms k 1 Q\r\n" };
    for (size_t i = 0; i < NELEM(lines); i++) {
        text_request t = { 0 };
        meta_request m = { 0 };
        text_status ts = text_parse(lines[i], strlen(lines[i]), &t);
        CHECK(ts != TEXT_EAGAIN && ts != TEXT_TOO_LONG && t.meta != TEXT_META_NONE);
        CHECK(meta_parse(lines[i], t.line_len, &m) != TEXT_EAGAIN && m.cmd == t.meta);
        CHECK(m.line_len == t.line_len);
    }
    meta_request m = { 0 };
    CHECK(parse_str("get k\r\n", &m) == TEXT_ERROR && m.error == META_ERR_UNKNOWN);
    CHECK(parse_str("\r\n", &m) == TEXT_ERROR && m.cmd == TEXT_META_NONE);
    CHECK(parse_str("mgg k\r\n", &m) == TEXT_ERROR);
}

/* ---- every line split at every byte --------------------------------------- */

static bool same_request(const meta_request *a, const meta_request *b)
{
    return a->cmd == b->cmd && a->line_len == b->line_len && a->error == b->error &&
           a->swallow == b->swallow && a->flagset == b->flagset && a->nret == b->nret &&
           memcmp(a->ret, b->ret, a->nret) == 0 && a->nbytes == b->nbytes &&
           a->ttl == b->ttl && a->cas == b->cas && a->mode == b->mode &&
           a->delta == b->delta && a->client_flags == b->client_flags &&
           a->has_new_cas == b->has_new_cas && a->new_cas == b->new_cas &&
           a->remove_value == b->remove_value && a->has_vivify == b->has_vivify &&
           a->vivify_ttl == b->vivify_ttl && a->invalidate == b->invalidate &&
           a->quiet == b->quiet && a->no_bump == b->no_bump &&
           a->want_value == b->want_value && a->key_binary == b->key_binary &&
           a->has_cas == b->has_cas && a->has_ttl == b->has_ttl &&
           a->has_recache == b->has_recache && a->recache_ttl == b->recache_ttl &&
           a->has_client_flags == b->has_client_flags && a->initial == b->initial &&
           a->has_opaque == b->has_opaque && a->opaque.len == b->opaque.len &&
           (a->opaque.len == 0 || memcmp(a->opaque.ptr, b->opaque.ptr, a->opaque.len) == 0) &&
           meta_key(a).len == meta_key(b).len &&
           (meta_key(a).len == 0 ||
            memcmp(meta_key(a).ptr, meta_key(b).ptr, meta_key(a).len) == 0);
}

/*
 * The daemon's path: text_parse classifies the line, meta_parse_text reuses
 * its split (command, arguments, key). Same result as meta_parse.
 */
static void check_text_path(const char *line, size_t len, text_status want,
                            const meta_request *whole)
{
    text_request t = { 0 };
    text_status ts = text_parse(line, len, &t);
    if (ts == TEXT_EAGAIN || ts == TEXT_TOO_LONG || t.meta == TEXT_META_NONE) {
        CHECK(whole->cmd == TEXT_META_NONE); /* not a meta line at all */
        return;
    }
    meta_request m;
    memset(&m, 0xa5, sizeof(m)); /* meta_parse_text resets everything itself */
    text_status st = meta_parse_text(&t, &m);
    bool same = st == want && same_request(&m, whole);
    CHECK(same);
    if (!same)
        fprintf(stderr, "  text path differs: %.60s\n", line);
}

static void check_split(const char *line)
{
    size_t len = strlen(line);
    meta_request whole = { 0 };
    text_status want = meta_parse(line, len, &whole);
    check_text_path(line, len, want, &whole);
    char *copy = malloc(len);
    CHECK(copy != NULL);
    if (copy == NULL)
        return;
    for (size_t cut = 0; cut < len; cut++) {
        /* bytes up to cut: exact-size heap copy, so ASan sees any over-read */
        memcpy(copy, line, cut);
        meta_request req = { 0 };
        text_status st = meta_parse(copy, cut, &req);
        if (memchr(line, '\n', cut) == NULL)
            CHECK(st == TEXT_EAGAIN);
    }
    memcpy(copy, line, len);
    meta_request req = { 0 };
    CHECK(meta_parse(copy, len, &req) == want && same_request(&req, &whole));
    free(copy);
}

static void test_split_every_byte(void)
{
    for (size_t i = 0; i < NELEM(error_cases); i++)
        check_split(error_cases[i].line);
    for (size_t i = 0; i < NELEM(newer_error_cases); i++)
        check_split(newer_error_cases[i].line);
    const char *ok[] = {
        "mn\r\n", "me foo\r\n", "me Zm9v b\r\n", "mg foo s v f t c k O1 h l q u\r\n",
        "mg k N30 R-5 T2147483648\r\n", "ms foo 2 T0 F5 c k O123 q I C99\r\n",
        "md Zm9v q I T30 C7 k O5 b\r\n", "ma foo N0 J+1 D5 T9 C3 q v t c k O5 MD\r\n",
        "mg k " FLAGS17 "\r\n", "ms k 1 " FLAGS16 "\r\n",
        /* newer flags */
        "mg ek N30 E5000 c\r\n", "mg k E18446744073709551615 x\r\n",
        "ms ecas 2 C777 E778 c\r\n", "ms sz 2 MA s k\r\n", "ms viv 3 N-1 MP T9 x\r\n",
        "md xk x\r\n", "md k x T30 E1 C2 q k\r\n", "md ee I E888\n",
        "ma ecr N0 J4 E4242 c v\r\n",
    };
    for (size_t i = 0; i < NELEM(ok); i++)
        check_split(ok[i]);
}

/* The flag walk with odd spacing: runs of spaces, trailing spaces, a flag at the line end. */
static void test_flag_spacing(void)
{
    const char *lines[] = {
        "mg k v f k\r\n", "mg k  v   f k  \r\n", "mg k v f k \n", "mg k    v\r\n",
        "mg k c  f  h  k  l  O1  q  s  t  u  v  N1  R1  T1  P  L  F1\r\n",
        "mg k c f h k l O1 q s t u v N1 R1 T1 P L F1 I\r\n",
        "mg k c f h k l O1 q s t u v N1 R1 T1 P L F1   I   \r\n",
        "ms k 5  F3  T0 \r\n", "ms k 5 F3 T0 F4\r\n", "md k q  \r\n", "ma k  D5 v\r\n",
        "mg k vv f\r\n", "mg k v v\r\n", "mg k O12 \r\n",
    };
    for (size_t i = 0; i < NELEM(lines); i++)
        check_split(lines[i]);
    meta_request m = { 0 };
    CHECK(parse_str("mg k  v   f k  \r\n", &m) == TEXT_OK && m.want_value && m.nret == 2 &&
          m.ret[0] == 'f' && m.ret[1] == 'k');
    CHECK(parse_str("mg k c f h k l O1 q s t u v N1 R1 T1 P L F1   I   \r\n", &m) ==
              TEXT_CLIENT_ERROR && m.error == META_ERR_TOO_MANY_FLAGS);
    CHECK(parse_str("mg k v v\r\n", &m) == TEXT_CLIENT_ERROR &&
          m.error == META_ERR_DUPLICATE_FLAG);
}

/* ---- base64 ----------------------------------------------------------------- */

static void test_base64(void)
{
    uint8_t bin[256], back[256];
    char enc[400];
    srand(7);
    for (size_t n = 0; n <= 187; n++) {
        for (size_t i = 0; i < n; i++)
            bin[i] = (uint8_t)rand();
        size_t e = meta_base64_encode(bin, n, enc, sizeof(enc));
        CHECK_EQ_U64(e, (n + 2) / 3 * 4);
        CHECK(meta_base64_encode(bin, n, enc, e ? e - 1 : 0) == 0 || n == 0);
        size_t d = meta_base64_decode(enc, e, back, sizeof(back));
        CHECK_EQ_U64(d, n);
        CHECK(memcmp(bin, back, n) == 0);
        if (n > 0)
            CHECK(meta_base64_decode(enc, e, back, n - 1) == 0);
    }
    CHECK(meta_base64_decode("Zm9v", 4, back, 3) == 3 && memcmp(back, "foo", 3) == 0);
    CHECK(meta_base64_decode("Zm8=", 4, back, 3) == 2 && memcmp(back, "fo", 2) == 0);
    CHECK(meta_base64_decode("Zg==", 4, back, 3) == 1 && back[0] == 'f');
    CHECK(meta_base64_encode((const uint8_t *)"fo", 2, enc, 4) == 4 && memcmp(enc, "Zm8=", 4) == 0);
    /* memcached 1.6.18's decoder, probed: junk skipped, '=' ends the data */
    static const struct { const char *in; const char *canon; } odd[] = {
        { "Zm9v!", "Zm9v" }, { "Z!m9v", "Zm9v" }, { "Zm9v!!!!", "Zm9v" },
        { "Zm9v.Zg==", "Zm9vZg==" }, { "Zm9vZ=9v", "Zm9vZA8=" }, { "Zg==xxxx", "Zg==" },
        { "Zm==", "Zg==" }, { "Z=m=", "ZA==" }, { "==Zg", "AA==" }, { "Zm9=", "Zm8=" },
        { "Zh==", "Zg==" }, { "Zm=v", "ZmA=" }, { "Zg==Zg==", "Zg==" }, { "++++", "++++" },
    };
    for (size_t i = 0; i < NELEM(odd); i++) {
        size_t d = meta_base64_decode(odd[i].in, strlen(odd[i].in), back, sizeof(back));
        size_t e = meta_base64_encode(back, d, enc, sizeof(enc));
        CHECK(d > 0 && e == strlen(odd[i].canon) && memcmp(enc, odd[i].canon, e) == 0);
    }
    const char *bad[] = { "", "Z", "Zm9", "Zm9v=", "Zm9vYg", "-_-_", "Zg==Z", "A===", "====",
                          "Z===", "Zm9vZm9v====", "Zm9!", "!!!!" };
    for (size_t i = 0; i < NELEM(bad); i++)
        CHECK(meta_base64_decode(bad[i], strlen(bad[i]), back, sizeof(back)) == 0);
}

/* Binary keys: the key token (base64 text) is limited to 250 bytes. */
static void test_binary_keys(void)
{
    uint8_t bin[200];
    char enc[300], line[400];
    meta_request req = { 0 };
    for (size_t n = 1; n <= 189; n++) {
        for (size_t i = 0; i < n; i++)
            bin[i] = (uint8_t)(i * 37 + n);
        size_t e = meta_base64_encode(bin, n, enc, sizeof(enc));
        snprintf(line, sizeof(line), "mg %.*s b k v\r\n", (int)e, enc);
        text_status st = parse_str(line, &req);
        if (e <= META_KEY_MAX) {
            CHECK(st == TEXT_OK && req.key_binary);
            CHECK(meta_key(&req).len == n && memcmp(meta_key(&req).ptr, bin, n) == 0);
            meta_request copy = req; /* meta_key works on a copied struct */
            CHECK(meta_key(&copy).ptr == (const char *)copy.keybin_);
        } else {
            CHECK(st == TEXT_CLIENT_ERROR && req.error == META_ERR_BAD_FORMAT);
        }
    }
}

/* ---- server replies ------------------------------------------------------------ */

static size_t reply_of(const char *line, meta_status st, const meta_facts *f, char *out,
                       size_t cap)
{
    meta_request req = { 0 };
    CHECK(parse_str(line, &req) == TEXT_OK);
    size_t n = meta_compose_reply(out, cap, &req, st, f);
    if (n > 0) {
        char small[512];
        for (size_t c = 0; c < n; c++)
            CHECK(meta_compose_reply(small, c, &req, st, f) == 0);
    }
    return n;
}

static void check_reply(const char *line, meta_status st, const meta_facts *f, const char *want)
{
    char out[1024];
    size_t n = reply_of(line, st, f, out, sizeof(out));
    CHECK(n == strlen(want) && memcmp(out, want, n) == 0);
    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fprintf(stderr, "  %s -> %.*s (want %s)\n", line, (int)n, out, want);
}

/* The expected texts are memcached 1.6.18's answers to the same requests. */
static void test_compose_replies(void)
{
    meta_facts f = { .value_len = 2, .cas = 1, .client_flags = 5, .size = 2, .ttl = -1 };
    check_reply("mg foo s v f t c k O1 h l q u\r\n", META_ST_VA, &f,
                "VA 2 s2 f5 t-1 c1 kfoo O1 h0 l0\r\n");
    f.hit_before = true;
    f.last_access = 1;
    check_reply("mg foo h l\r\n", META_ST_HD, &f, "HD h1 l1\r\n");
    check_reply("mg foo q\r\n", META_ST_HD, &f, "HD\r\n");
    check_reply("mg nokey k O1 c\r\n", META_ST_EN, NULL, "EN knokey O1\r\n");
    check_reply("mg nokey O1 k c\r\n", META_ST_EN, &f, "EN O1 knokey\r\n");
    check_reply("mg k O\r\n", META_ST_EN, NULL, "EN O\r\n");
    check_reply("mg bm9rZXk= b k O1 c\r\n", META_ST_EN, NULL, "EN kbm9rZXk= b O1\r\n");
    check_reply("mg bm9rZXk= b O1 k c\r\n", META_ST_EN, NULL, "EN O1 kbm9rZXk= b\r\n");
    /* mg hit: the item's key decides the printing */
    meta_facts item = { .value_len = 1, .cas = 2, .has_item_key = true,
                        .item_key = view("foo2"), .item_key_binary = true };
    check_reply("mg Zm9vMg== b k v c\r\n", META_ST_VA, &item, "VA 1 kZm9vMg== b c2\r\n");
    check_reply("mg foo2 k v\r\n", META_ST_VA, &item, "VA 1 kZm9vMg== b\r\n");
    item.item_key = view("foo3");
    item.item_key_binary = false;
    check_reply("mg Zm9vMw== b k v\r\n", META_ST_VA, &item, "VA 1 kfoo3\r\n");
    /* recache marks: Z, X, W after the flags */
    meta_facts st = { .value_len = 2, .cas = 27, .ttl = 30, .stale = true, .won = true };
    check_reply("mg st1 c k v t O2\r\n", META_ST_VA, &st, "VA 2 c27 kst1 t30 O2 X W\r\n");
    st.won = false;
    st.other_won = true;
    check_reply("mg st1 c k O3\r\n", META_ST_HD, &st, "HD c27 kst1 O3 Z X\r\n");
    meta_facts won = { .won = true };
    check_reply("mg fresh2 N0 q\r\n", META_ST_HD, &won, "HD W\r\n");
    meta_facts z = { .cas = 14, .other_won = true };
    check_reply("mg k  c   f\r\n", META_ST_HD, &z, "HD c14 f0 Z\r\n");
    /* ms: c k O (newer: and s) on every status (c0, s0 on failure) */
    meta_facts set = { .cas = 3, .size = 2 };
    check_reply("ms foo 2 c k s t f O123\r\n", META_ST_HD, &set, "HD c3 kfoo s2 O123\r\n");
    check_reply("ms foo 2 c k t f O123\r\n", META_ST_HD, &set, "HD c3 kfoo O123\r\n");
    check_reply("ms newk 2 MR c k O1 f s\r\n", META_ST_NS, NULL, "NS c0 knewk O1 s0\r\n");
    check_reply("ms newk 2 MR c k O1 f\r\n", META_ST_NS, NULL, "NS c0 knewk O1\r\n");
    check_reply("ms sz 2 MA s k\r\n", META_ST_HD, &(meta_facts){ .size = 5 }, "HD s5 ksz\r\n");
    check_reply("ms ecas 2 E777 c\r\n", META_ST_HD, &(meta_facts){ .cas = 777 }, "HD c777\r\n");
    check_reply("ms sz 2 s q\r\n", META_ST_EX, NULL, "EX s0\r\n");
    check_reply("ms k 2 C1 c k O1\r\n", META_ST_NF, NULL, "NF c0 kk O1\r\n");
    check_reply("ms Zm9v 3 b k c\r\n", META_ST_HD, &(meta_facts){ .cas = 2 },
                "HD kZm9v b c2\r\n");
    check_reply("ms k 1 MS\r\n", META_ST_HD, NULL, "HD\r\n");
    /* md */
    check_reply("md nokey k O1 c\r\n", META_ST_NF, NULL, "NF knokey O1\r\n");
    check_reply("md Zm9vMw== b k O5\r\n", META_ST_HD, NULL, "HD kZm9vMw== b O5\r\n");
    check_reply("md st1 C1 k O1 c t\r\n", META_ST_EX, NULL, "EX kst1 O1\r\n");
    check_reply("md xk x E5 k s c\r\n", META_ST_HD, NULL, "HD kxk\r\n");
    /* ma */
    meta_facts num = { .value_len = 1, .cas = 6, .ttl = -1 };
    check_reply("ma bm9rZXk= b k O5 N0 v t c\r\n", META_ST_VA, &num,
                "VA 1 kbm9rZXk= b O5 t-1 c6\r\n");
    check_reply("ma nokey3 k O1 c t v\r\n", META_ST_NF, NULL, "NF knokey3 O1\r\n");
    check_reply("ma st1 C1 k O1 c t\r\n", META_ST_EX, NULL, "EX kst1 O1\r\n");
    check_reply("mn\r\n", META_ST_MN, NULL, "MN\r\n");
    check_reply("me foo\r\n", META_ST_EN, NULL, "EN\r\n");

    char out[64];
    meta_request req = { 0 };
    CHECK(parse_str("mg k\r\n", &req) == TEXT_OK);
    CHECK(meta_compose_reply(out, sizeof(out), &req, META_ST_NONE, NULL) == 0);
    CHECK(meta_compose_reply(out, sizeof(out), &req, META_ST_ME, NULL) == 0);
    CHECK(meta_compose_reply(out, sizeof(out), &req, (meta_status)99, NULL) == 0);
}

static void test_compose_debug(void)
{
    char out[256];
    meta_debug_facts f = { .exp = -1, .cas = 1, .fetched = true, .slab_class = 1, .size = 68 };
    const char *want = "ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=68\r\n";
    size_t n = meta_compose_debug(out, sizeof(out), view("foo"), &f);
    CHECK(n == strlen(want) && memcmp(out, want, n) == 0);
    for (size_t c = 0; c < n; c++)
        CHECK(meta_compose_debug(out, c, view("foo"), &f) == 0);
    meta_debug_facts g = { .exp = 30, .last_access = 28, .cas = 2, .slab_class = 12,
                           .size = 65, .key_binary = true };
    want = "ME Zm9v exp=30 la=28 cas=2 fetch=no cls=12 size=65\r\n";
    n = meta_compose_debug(out, sizeof(out), view("foo"), &g);
    CHECK(n == strlen(want) && memcmp(out, want, n) == 0);
}

/* q: which statuses are dropped, per command (errors never are). */
static void test_quiet(void)
{
    static const struct { const char *line; const char *dropped; } cases[] = {
        { "mg k q\r\n", "E" },   { "ms k 1 q\r\n", "H" }, { "md k q\r\n", "H" },
        { "ma k q\r\n", "HV" },  { "mn q\r\n", "" },      { "me k q\r\n", "" },
    };
    static const struct { meta_status st; char letter; } sts[] = {
        { META_ST_VA, 'V' }, { META_ST_HD, 'H' }, { META_ST_EN, 'E' }, { META_ST_NF, 'F' },
        { META_ST_NS, 'S' }, { META_ST_EX, 'X' }, { META_ST_MN, 'M' },
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        meta_request req = { 0 };
        CHECK(parse_str(cases[i].line, &req) == TEXT_OK);
        bool quiet_cmd = req.cmd != TEXT_META_NOOP && req.cmd != TEXT_META_DEBUG;
        CHECK(req.quiet == quiet_cmd);
        for (size_t s = 0; s < NELEM(sts); s++) {
            bool want = strchr(cases[i].dropped, sts[s].letter) != NULL;
            CHECK(meta_reply_suppressed(&req, sts[s].st) == want);
            req.quiet = false;
            CHECK(!meta_reply_suppressed(&req, sts[s].st));
            req.quiet = quiet_cmd;
        }
    }
}

/* ---- client side ------------------------------------------------------------- */

static void test_compose_requests(void)
{
    char out[512];
    size_t n = meta_compose_request(out, sizeof(out), TEXT_META_SET, view("foo"), 5, "T0 F5 c");
    CHECK(n == strlen("ms foo 5 T0 F5 c\r\n") && memcmp(out, "ms foo 5 T0 F5 c\r\n", n) == 0);
    for (size_t c = 0; c < n; c++)
        CHECK(meta_compose_request(out, c, TEXT_META_SET, view("foo"), 5, "T0 F5 c") == 0);
    n = meta_compose_request(out, sizeof(out), TEXT_META_NOOP, view("ignored"), 0, NULL);
    CHECK(n == 4 && memcmp(out, "mn\r\n", 4) == 0);
    n = meta_compose_request(out, sizeof(out), TEXT_META_GET, view("k"), 0, "");
    CHECK(n == 6 && memcmp(out, "mg k\r\n", 6) == 0);
    CHECK(meta_compose_request(out, sizeof(out), TEXT_META_NONE, view("k"), 0, "v") == 0);
    CHECK(meta_compose_request(out, sizeof(out), (text_meta)42, view("k"), 0, "v") == 0);

    /* round trips: compose -> meta_parse gives the fields back */
    static const struct { text_meta cmd; const char *flags; } rt[] = {
        { TEXT_META_GET, "s v f t c k O1 h l q u N5 R6 T7" },
        { TEXT_META_SET, "T0 F5 c k O123 q I C99 MA" },
        { TEXT_META_DELETE, "q I T30 C7 k O5" },
        { TEXT_META_ARITH, "N0 J1 D9 T9 C3 q v t c k O5 M-" },
        { TEXT_META_DEBUG, "" }, { TEXT_META_NOOP, NULL },
    };
    for (size_t i = 0; i < NELEM(rt); i++) {
        meta_request req = { 0 };
        n = meta_compose_request(out, sizeof(out), rt[i].cmd, view("key1"), 77, rt[i].flags);
        CHECK(n > 0 && meta_parse(out, n, &req) == TEXT_OK && req.line_len == n);
        CHECK(req.cmd == rt[i].cmd);
        if (rt[i].cmd != TEXT_META_NOOP)
            CHECK(view_is(meta_key(&req), "key1"));
        CHECK(req.nbytes == (rt[i].cmd == TEXT_META_SET ? 77u : 0u));
    }
}

static void test_parse_replies(void)
{
    meta_reply_msg m;
    const char *va = "VA 2 s2 f5 t-1 c1 kfoo O1 h0 l0\r\nhi\r\nHD\r\n";
    size_t len = strlen(va);
    for (size_t cut = 0; cut < 37; cut++)
        CHECK(meta_parse_reply(va, cut, &m) == TEXT_EAGAIN);
    CHECK(meta_parse_reply(va, len, &m) == TEXT_OK && m.status == META_ST_VA);
    CHECK(m.len == 37 && m.nbytes == 2 && view_is(m.data, "hi"));
    CHECK(view_is(m.flags, "s2 f5 t-1 c1 kfoo O1 h0 l0"));
    uint64_t u;
    int64_t i;
    text_str v;
    CHECK(meta_reply_flag_u64(&m, 'c', &u) && u == 1);
    CHECK(meta_reply_flag_u64(&m, 'f', &u) && u == 5);
    CHECK(meta_reply_flag_i64(&m, 't', &i) && i == -1);
    CHECK(!meta_reply_flag_u64(&m, 't', &u));
    CHECK(meta_reply_flag(&m, 'k', &v) && view_is(v, "foo"));
    CHECK(!meta_reply_flag(&m, 'W', &v) && !meta_reply_flag_u64(&m, 'W', &u));
    CHECK(meta_parse_reply(va + 37, len - 37, &m) == TEXT_OK && m.status == META_ST_HD);
    CHECK(m.flags.len == 0 && m.len == 4);

    CHECK(meta_parse_reply("VA 2\r\nhiX\r\n", 11, &m) == TEXT_CLIENT_ERROR);
    CHECK(meta_parse_reply("VA x\r\n", 6, &m) == TEXT_CLIENT_ERROR);
    CHECK(meta_parse_reply("VA\r\n", 4, &m) == TEXT_CLIENT_ERROR);
    CHECK(meta_parse_reply("VA 0\r\n\r\n", 8, &m) == TEXT_OK && m.data.len == 0);
    CHECK(meta_parse_reply("HD W\n", 5, &m) == TEXT_OK && meta_reply_flag(&m, 'W', &v));
    CHECK(v.len == 0 && m.len == 5);
    const char *codes[] = { "EN", "NF", "NS", "EX", "MN" };
    for (size_t k = 0; k < NELEM(codes); k++) {
        char line[16];
        snprintf(line, sizeof(line), "%s\r\n", codes[k]);
        CHECK(meta_parse_reply(line, strlen(line), &m) == TEXT_OK);
        CHECK(m.status == (meta_status)(META_ST_EN + k) && m.error == META_ERR_NONE);
    }
    CHECK(meta_parse_reply("ME foo exp=-1 la=0\r\n", 20, &m) == TEXT_OK);
    CHECK(m.status == META_ST_ME && view_is(m.flags, "foo exp=-1 la=0"));
    CHECK(!meta_reply_flag(&m, 'f', &v));
    for (int e = META_ERR_UNKNOWN; e < META_ERR__COUNT; e++) {
        const char *s = meta_error_str((meta_error)e);
        CHECK(meta_parse_reply(s, strlen(s), &m) == TEXT_OK);
        CHECK(m.status == META_ST_NONE && m.error == (meta_error)e);
    }
    CHECK(meta_parse_reply("CLIENT_ERROR other\r\n", 20, &m) == TEXT_OK);
    CHECK(m.status == META_ST_NONE && m.error == META_ERR_NONE && view_is(m.line, "CLIENT_ERROR other"));
}

/* Server composer -> client parser: every facts field comes back. */
static void test_reply_round_trip(void)
{
    char out[512];
    meta_request req = { 0 };
    CHECK(parse_str("mg Zm9v b s v f t c k O77 h l\r\n", &req) == TEXT_OK);
    meta_facts f = { .value_len = 3, .cas = UINT64_MAX, .client_flags = UINT32_MAX,
                     .size = 3, .ttl = INT32_MAX, .last_access = 12345, .hit_before = true,
                     .won = true };
    size_t n = meta_compose_reply(out, sizeof(out) - 5, &req, META_ST_VA, &f);
    CHECK(n > 0);
    memcpy(out + n, "abc\r\n", 5);
    meta_reply_msg m;
    uint64_t u;
    int64_t i;
    text_str v;
    CHECK(meta_parse_reply(out, n + 5, &m) == TEXT_OK && m.status == META_ST_VA);
    CHECK(m.nbytes == 3 && view_is(m.data, "abc") && m.len == n + 5);
    CHECK(meta_reply_flag_u64(&m, 's', &u) && u == 3);
    CHECK(meta_reply_flag_u64(&m, 'f', &u) && u == UINT32_MAX);
    CHECK(meta_reply_flag_i64(&m, 't', &i) && i == INT32_MAX);
    CHECK(meta_reply_flag_u64(&m, 'c', &u) && u == UINT64_MAX);
    CHECK(meta_reply_flag(&m, 'k', &v) && view_is(v, "Zm9v"));
    CHECK(meta_reply_flag(&m, 'b', &v) && v.len == 0);
    CHECK(meta_reply_flag(&m, 'O', &v) && view_is(v, "77"));
    CHECK(meta_reply_flag_u64(&m, 'h', &u) && u == 1);
    CHECK(meta_reply_flag_u64(&m, 'l', &u) && u == 12345);
    CHECK(meta_reply_flag(&m, 'W', &v) && !meta_reply_flag(&m, 'X', &v));
}

/*
 * The longest headers: a 250-byte binary item key (336 base64 characters)
 * and every mg flag. Whatever the cap, the composer writes the whole line
 * or returns 0 (caps below its bound go through a scratch buffer).
 */
static void test_compose_long(void)
{
    meta_request req = { 0 };
    CHECK(parse_str("mg " KEY250 " c f h k l s t " OPAQUE31 "\r\n", &req) == TEXT_OK);
    static char item_key[250];
    for (size_t i = 0; i < sizeof(item_key); i++)
        item_key[i] = (char)(i * 7);
    meta_facts f = { .value_len = 123456789, .cas = UINT64_MAX, .client_flags = UINT32_MAX,
                     .size = 100, .ttl = INT64_MIN, .last_access = 999, .hit_before = true,
                     .won = true, .stale = true, .other_won = true, .has_item_key = true,
                     .item_key = { item_key, sizeof(item_key) }, .item_key_binary = true };
    static char big[4096], small[4096];
    size_t n = meta_compose_reply(big, sizeof(big), &req, META_ST_VA, &f);
    char enc[400];
    size_t elen = meta_base64_encode((const uint8_t *)item_key, sizeof(item_key), enc, sizeof(enc));
    CHECK_EQ_U64(elen, 336);
    char want[1024];
    int w = snprintf(want, sizeof(want),
                     "VA 123456789 c18446744073709551615 f4294967295 h1 k%.*s b l999 s100 "
                     "t-9223372036854775808 O1234567890123456789012345678901 Z X W\r\n",
                     (int)elen, enc);
    CHECK(n == (size_t)w && memcmp(big, want, n) == 0);
    for (size_t cap = 0; cap <= n + 2; cap++) {
        size_t got = meta_compose_reply(small, cap, &req, META_ST_VA, &f);
        CHECK(cap < n ? got == 0 : (got == n && memcmp(small, big, n) == 0));
    }
    /* a miss prints the request's key and O only */
    n = meta_compose_reply(big, 300, &req, META_ST_EN, NULL);
    CHECK(n == 2 + 2 + 250 + 33 + 2 && memcmp(big, "EN k", 4) == 0);
    /* a binary item key too long to print: nothing */
    static char huge[400];
    f.item_key = (text_str){ huge, sizeof(huge) };
    CHECK(meta_compose_reply(big, sizeof(big), &req, META_ST_HD, &f) == 0);
    f.item_key_binary = false; /* as text it fits the big buffer only */
    n = meta_compose_reply(big, sizeof(big), &req, META_ST_HD, &f);
    CHECK(n > sizeof(huge) && meta_compose_reply(small, n - 1, &req, META_ST_HD, &f) == 0);
}

/* Random lines from a protocol-ish alphabet: never a crash, always a sane result. */
static void test_random_lines(void)
{
    static const char *const words[] = {
        "mg", "ms", "md", "ma", "mn", "me", "k", "Zm9v", "b", "c", "f", "h", "k", "l", "q",
        "s", "t", "u", "v", "I", "P", "L", "x", "E5", "T5", "T-1", "Tx", "N0", "R9", "C7",
        "Cx", "F3", "Fx", "D2", "Dx", "J4", "MS", "ME", "MI", "M-", "MX", "Mxx", "O", "O12",
        OPAQUE31, OPAQUE32, "5", "abc", "\x80", "==", "\t", KEY250, KEY251,
    };
    char line[1024];
    srand(11);
    for (int n = 0; n < 20000; n++) {
        size_t len = 0, count = (size_t)(rand() % 24);
        for (size_t i = 0; i < count; i++) {
            const char *w = i == 0 ? words[rand() % 6] : words[rand() % NELEM(words)];
            size_t wl = strlen(w);
            if (len + wl + 4 > sizeof(line))
                break;
            memcpy(line + len, w, wl);
            len += wl;
            line[len++] = ' ';
        }
        line[len++] = '\r';
        line[len++] = '\n';
        meta_request req = { 0 };
        text_status st = meta_parse(line, len, &req);
        CHECK(req.line_len == len);
        check_text_path(line, len, st, &req);
        if (st == TEXT_OK) {
            CHECK(req.error == META_ERR_NONE && req.swallow == 0 && req.nret <= 8);
            CHECK(req.cmd == TEXT_META_NOOP || meta_key(&req).len > 0);
        } else {
            CHECK((st == TEXT_ERROR && req.error == META_ERR_UNKNOWN) ||
                  (st == TEXT_CLIENT_ERROR && req.error > META_ERR_UNKNOWN));
            CHECK(req.swallow == 0 || (req.cmd == TEXT_META_SET && req.swallow == req.nbytes + 2));
        }
    }
}

/*
 * The replies of one parsed request at a roomy cap (the direct composer for
 * plain keys) and at exactly their length (the bounded general composer):
 * the same bytes.
 */
static void check_reply_caps(const meta_request *req)
{
    static const meta_status sts[] = { META_ST_VA, META_ST_HD, META_ST_EN, META_ST_NF,
                                       META_ST_NS, META_ST_EX, META_ST_MN };
    meta_facts f = { .value_len = 123456789, .cas = UINT64_MAX, .client_flags = 77,
                     .size = 9, .ttl = -1, .last_access = 12, .hit_before = true,
                     .won = true, .stale = true, .other_won = true };
    char roomy[8192], exact[8192];
    for (size_t i = 0; i < NELEM(sts); i++) {
        for (int item = 0; item < 2; item++) {
            f.has_item_key = item == 1;
            f.item_key = (text_str){ "itemkey", 7 };
            size_t n = meta_compose_reply(roomy, sizeof(roomy), req, sts[i], &f);
            CHECK(n > 0 && meta_compose_reply(exact, n, req, sts[i], &f) == n);
            CHECK(memcmp(roomy, exact, n) == 0);
            CHECK(n < 3 || meta_compose_reply(exact, n - 1, req, sts[i], &f) == 0);
        }
    }
}

/*
 * Lines in the shapes the fast paths take (one space apart, no trailing
 * space, one-letter flags, sometimes repeated or unknown, sometimes with an
 * argument): the daemon's path equals meta_parse, and replies equal at any
 * cap that fits.
 */
static void test_letter_lines(void)
{
    static const char *const cmds[] = { "mg", "md", "ma", "ms" };
    static const char *const keys[] = { "k", "key:1234", "Zm9v", KEY250, KEY251 };
    static const char *const flags[] = {
        "v", "f", "k", "c", "s", "t", "h", "l", "q", "u", "x", "I", "P", "L", "O", "Oab",
        "b", "T5", "N0", "E9", "C3", "F7", "Z", "!", "", "vv", "MS", "ME", "MD", "O" "x",
    };
    char line[1024];
    srand(17);
    for (int n = 0; n < 20000; n++) {
        const char *cmd = cmds[rand() % NELEM(cmds)], *key = keys[rand() % NELEM(keys)];
        size_t len = (size_t)snprintf(line, sizeof(line), "%s %s%s", cmd, key,
                                      cmd[1] == 's' ? " 3" : "");
        size_t count = (size_t)(rand() % 20);
        for (size_t i = 0; i < count; i++) {
            /* mostly presence-only letters, as clients send them */
            const char *w = flags[rand() % (rand() % 4 ? 14 : NELEM(flags))];
            len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", w);
        }
        memcpy(line + len, rand() % 2 ? "\r\n" : "\n\0", 3);
        len += line[len + 1] == '\n' ? 2 : 1;
        meta_request req = { 0 };
        text_status st = meta_parse(line, len, &req);
        check_text_path(line, len, st, &req);
        if (st == TEXT_OK)
            check_reply_caps(&req);
    }
}

/* meta_request_copy: the same request, its b key included, views unchanged. */
static void test_request_copy(void)
{
    static const char *const lines[] = { "ms Zm9v 3 b k c O7\r\n", "ms plain 3 T9 k\r\n",
                                         "mg Zm9vYmFy b v\r\n", "md k q\r\n" };
    for (size_t i = 0; i < NELEM(lines); i++) {
        meta_request req = { 0 }, copy;
        memset(&copy, 0x5a, sizeof(copy));
        CHECK(parse_str(lines[i], &req) == TEXT_OK);
        meta_request_copy(&copy, &req);
        CHECK(same_request(&copy, &req) && copy.wire_key.ptr == req.wire_key.ptr);
        CHECK(meta_key(&copy).ptr != meta_key(&req).ptr || !req.key_binary);
    }
}

int main(void)
{
    test_random_lines();
    test_letter_lines();
    test_request_copy();
    test_error_table();
    test_error_strings();
    test_noop_and_debug();
    test_get_flags();
    test_set_flags();
    test_delete_flags();
    test_arith_flags();
    test_text_handover();
    test_split_every_byte();
    test_flag_spacing();
    test_base64();
    test_binary_keys();
    test_compose_replies();
    test_compose_long();
    test_compose_debug();
    test_quiet();
    test_compose_requests();
    test_parse_replies();
    test_reply_round_trip();
    return check_done("test_meta");
}
