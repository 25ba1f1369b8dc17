/* The small pure pieces the challenges rest on: the otpauth:// URI an
 * authenticator app scans, the QR code drawn from it, the MFA menu's words
 * and answers, and which server text may be shown at all. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>
#include <qrencode.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"

START_TEST(test_otpauth_uri)
{
    char *uri = cog_otpauth_uri("us-east-1_Pool", "alice", "JBSWY3DPEHPK3PXP");
    ck_assert_str_eq(uri, "otpauth://totp/us-east-1_Pool:alice?secret=JBSWY3DPEHPK3PXP"
                          "&issuer=us-east-1_Pool");
    free(uri);
    /* Spaces, '@', '&', '?', '#' and non-ASCII cannot break the URI apart. */
    uri = cog_otpauth_uri("Acme Corp & Co", "a.b@example.com?x#y", "ABC");
    ck_assert_str_eq(uri, "otpauth://totp/Acme%20Corp%20%26%20Co:a.b%40example.com%3Fx%23y"
                          "?secret=ABC&issuer=Acme%20Corp%20%26%20Co");
    free(uri);
    uri = cog_otpauth_uri("\xc3\xa9quipe", "bob", "ABC");
    ck_assert_str_eq(uri, "otpauth://totp/%C3%A9quipe:bob?secret=ABC&issuer=%C3%A9quipe");
    free(uri);
}
END_TEST

/* Each character holds two module rows. For a dark terminal the light
 * modules and the margin are drawn; for a light one (inverted) the dark
 * modules, the margin left to the background. Read back, the drawing is
 * libqrencode's symbol. */
START_TEST(test_qr_text_is_the_symbol)
{
    static const char *const texts[] = {"otpauth://totp/x:y?secret=AAAA&issuer=x", "A",
                                        "0123456789012345678901234567890123456789012345678901"};
    for (size_t t = 0; t < 2 * sizeof(texts) / sizeof(texts[0]); t++) {
        enum cog_qr_style style = t % 2 ? COG_QR_LIGHT : COG_QR_DARK;
        const char *text = texts[t / 2];
        char *qr = NULL;
        ck_assert_int_eq(cog_qr_text_style(text, style, &qr, NULL), COG_OK);
        QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
        int size = q->width + 2 * COG_QR_MARGIN;
        int lines = 1;
        for (const char *p = qr; *p; p++)
            lines += *p == '\n';
        ck_assert_int_eq(lines, (size + 1) / 2);
        int line = 0, x = 0;
        for (const char *p = qr; *p;) {
            if (*p == '\n') {
                ck_assert_int_eq(x, size);
                line++, x = 0, p++;
                continue;
            }
            bool top = false, bottom = false;
            if (*p == ' ') {
                p++;
            } else {
                ck_assert_int_eq(strncmp(p, "\xe2\x96", 2), 0);
                top = p[2] == '\x80' || p[2] == '\x88';
                bottom = p[2] == '\x84' || p[2] == '\x88';
                p += 3;
            }
            for (int half = 0; half < 2; half++) {
                int y = 2 * line + half - COG_QR_MARGIN, mx = x - COG_QR_MARGIN;
                bool drawn = half ? bottom : top;
                bool inside = 2 * line + half < size;
                bool light = mx < 0 || y < 0 || mx >= q->width || y >= q->width ||
                             !(q->data[y * q->width + mx] & 1);
                bool want = inside && (style == COG_QR_DARK ? light : !light);
                ck_assert_msg(drawn == want, "text %zu style %d: module (%d,%d)", t / 2, style, mx,
                              y);
            }
            x++;
        }
        QRcode_free(q);
        free(qr);
    }
}
END_TEST

/* The quiet zone: four light modules all round, which is two full lines
 * above and four cells either side; light is drawn (full blocks) for a dark
 * terminal and left blank for a light one. */
START_TEST(test_qr_quiet_zone)
{
    char *dark = NULL, *lite = NULL;
    ck_assert_int_ge(COG_QR_MARGIN, 4);
    ck_assert_int_eq(cog_qr_text_style("otpauth://totp/x:y?secret=AAAA", COG_QR_DARK, &dark, NULL),
                     COG_OK);
    ck_assert_int_eq(cog_qr_text_style("otpauth://totp/x:y?secret=AAAA", COG_QR_LIGHT, &lite, NULL),
                     COG_OK);
    const char *full = "\xe2\x96\x88";
    const char *p = dark;
    for (int line = 0; line < COG_QR_MARGIN / 2; line++) {
        while (*p && *p != '\n') {
            ck_assert_msg(strncmp(p, full, 3) == 0, "dark: line %d is not all light", line);
            p += 3;
        }
        p += *p == '\n';
    }
    for (const char *l = dark; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        for (int c = 0; c < COG_QR_MARGIN; c++)
            /* full blocks; the last line's lower half is past the code */
            ck_assert_msg(
                strncmp(l + 3 * c, full, 3) == 0 ||
                    (strchr(l, '\n') == NULL && strncmp(l + 3 * c, "\xe2\x96\x80", 3) == 0),
                "dark: no margin at the left");
    }
    /* light terminal: the same zone is blank, and every line starts blank */
    for (int c = 0; c < COG_QR_MARGIN; c++)
        ck_assert_int_eq(lite[c], ' ');
    for (const char *l = lite; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        ck_assert_msg(strncmp(l, "    ", 4) == 0, "light: no margin at the left");
    ck_assert_str_ne(dark, lite);
    free(dark);
    free(lite);
}
END_TEST

START_TEST(test_totp_texts)
{
    char *k = cog_totp_key_grouped("JBSWY3DPEHPK3PXP");
    ck_assert_str_eq(k, "JBSW Y3DP EHPK 3PXP");
    free(k);
    ck_assert_ptr_nonnull(strstr(cog_qr_intro(COG_QR_DARK), "drawn for a dark terminal"));
    ck_assert_ptr_nonnull(strstr(cog_qr_intro(COG_QR_DARK), "qr_style = light"));
    ck_assert_ptr_nonnull(strstr(cog_qr_intro(COG_QR_LIGHT), "drawn for a light terminal"));
}
END_TEST

START_TEST(test_menu_words)
{
    const char *labels[] = {"Code by SMS", "Authenticator app"};
    char *menu = cog_auth_menu_text("Choose:", labels, 2);
    char buf[64];
    size_t picked = 99;
    ck_assert_str_eq(menu, "Choose:\n  1) Code by SMS\n  2) Authenticator app");
    free(menu);
    cog_auth_choice_prompt(2, buf, sizeof(buf));
    ck_assert_str_eq(buf, "Choice [1-2]: ");
    cog_auth_choice_retry(2, buf, sizeof(buf));
    ck_assert_str_eq(buf, "Please enter a number from 1 to 2.");
    ck_assert(cog_auth_parse_choice("2", 2, &picked));
    ck_assert_uint_eq(picked, 1);
    static const char *const bad[] = {
        "", "0", "3", "-1", " 1", "1 ", "1x", "+1", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!cog_auth_parse_choice(bad[i], 2, &picked), "'%s' accepted", bad[i]);
    ck_assert(!cog_auth_parse_choice(NULL, 2, &picked));
}
END_TEST

/* Text from the server reaches the user's terminal: escape sequences and
 * other controls must not. */
START_TEST(test_delivery_text_filtered)
{
    struct cog_delivery where;
    struct json_object *o =
        json_tokener_parse("{\"CODE_DELIVERY_DELIVERY_MEDIUM\":\"SMS\","
                           "\"CODE_DELIVERY_DESTINATION\":\"+*******1111\\u001b[2J\"}");
    cog_delivery_from_json(o, "CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION", &where);
    ck_assert_str_eq(where.medium, "SMS");
    ck_assert_str_eq(where.destination, "");
    json_object_put(o);
    o = json_tokener_parse("{\"DeliveryMedium\":\"EMAIL\",\"Destination\":\"a***@e***\"}");
    cog_delivery_from_json(o, "DeliveryMedium", "Destination", &where);
    ck_assert_str_eq(where.destination, "a***@e***");
    json_object_put(o);
    cog_delivery_from_json(NULL, "a", "b", &where);
    ck_assert_str_eq(where.medium, "");
}
END_TEST

/* Every class of character a terminal must not get raw, and the ones it
 * may: the escapes are JSON's, never half an escape when cut. */
START_TEST(test_text_escape)
{
    static const struct {
        const char *in, *out, *out_lines;
    } cases[] = {
        {"plain text", "plain text", "plain text"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
         NULL},
        /* C0: ESC (a screen-clearing sequence), BEL, NUL-free controls */
        {"\x1b[2J\x1b[H[sudo] password for root: ", "\\u001b[2J\\u001b[H[sudo] password for root: ",
         NULL},
        {"a\x07"
         "b\x01"
         "c\x1f",
         "a\\u0007b\\u0001c\\u001f", NULL},
        {"line1\nline2", "line1\\nline2", "line1\nline2"},
        {"tab\there\rback", "tab\\there\\rback", NULL},
        /* DEL */
        {"x\x7fy", "x\\u007fy", NULL},
        /* C1 (U+0080..U+009F): CSI U+009B, NEL U+0085 */
        {"\xc2\x9b"
         "2J \xc2\x85",
         "\\u009b2J \\u0085", NULL},
        /* U+00A0 is not a control */
        {"\xc2\xa0", "\xc2\xa0", NULL},
        /* bidi embeddings and overrides U+202A..U+202E */
        {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
         "\\u202a\\u202b\\u202c\\u202d\\u202e", NULL},
        /* isolates U+2066..U+2069; U+2065 and U+206A around them pass */
        {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069", NULL},
        {"\xe2\x80\xa9\xe2\x80\xaf", "\xe2\x80\xa9\xe2\x80\xaf", NULL},
        /* not UTF-8: a lone continuation, a truncated sequence, an overlong form */
        {"a\x80z", "a\\x80z", NULL},
        {"\xe2\x80", "\\xe2\\x80", NULL},
        {"\xc0\xaf", "\\xc0\\xaf", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *e = cog_text_escape(cases[i].in, false);
        ck_assert_msg(strcmp(e, cases[i].out) == 0, "case %zu: '%s'", i, e);
        free(e);
        e = cog_text_escape(cases[i].in, true);
        const char *want = cases[i].out_lines ? cases[i].out_lines : cases[i].out;
        ck_assert_msg(strcmp(e, want) == 0, "case %zu with lines: '%s'", i, e);
        free(e);
        ck_assert_uint_eq(cog_text_escape_to(cases[i].in, false, NULL, 0), strlen(cases[i].out));
    }
    /* Every C0 control and DEL, one by one. */
    for (int c = 1; c < 0x80; c++) {
        char in[2] = {(char)c, '\0'};
        char *e = cog_text_escape(in, false);
        bool raw = strlen(e) == 1;
        ck_assert_msg(raw == (c >= 0x20 && c < 0x7f), "byte %#x: '%s'", c, e);
        free(e);
    }
    /* Cut short: never half an escape or half a character. */
    char buf[8];
    ck_assert_uint_eq(cog_text_escape_to("ab\x1b"
                                         "cd",
                                         false, buf, sizeof(buf)),
                      10);
    ck_assert_str_eq(buf, "ab");
    ck_assert_uint_eq(cog_text_escape_to("abc\xe2\x82\xac", false, buf, 6), 6);
    ck_assert_str_eq(buf, "abc");
    char *e = cog_text_escape(NULL, false);
    ck_assert_str_eq(e, "");
    free(e);
}
END_TEST

START_TEST(test_user_status_active)
{
    struct cog_config cfg;
    cog_config_init(&cfg);
    ck_assert(cog_user_status_active(&cfg, "CONFIRMED"));
    ck_assert(cog_user_status_active(&cfg, "EXTERNAL_PROVIDER"));
    static const char *const inactive[] = {"UNCONFIRMED",
                                           "RESET_REQUIRED",
                                           "COMPROMISED",
                                           "ARCHIVED",
                                           "UNKNOWN",
                                           "FORCE_CHANGE_PASSWORD",
                                           "",
                                           "confirmed",
                                           "CONFIRMED "};
    for (size_t i = 0; i < sizeof(inactive) / sizeof(inactive[0]); i++)
        ck_assert_msg(!cog_user_status_active(&cfg, inactive[i]), "%s active", inactive[i]);
    ck_assert(!cog_user_status_active(&cfg, NULL));
    struct cog_error err = {0};
    ck_assert_int_eq(cog_config_set(&cfg, "allowed_user_status", "FORCE_CHANGE_PASSWORD,ARCHIVED",
                                    NULL, 0, &err),
                     COG_OK);
    ck_assert(cog_user_status_active(&cfg, "FORCE_CHANGE_PASSWORD"));
    ck_assert(cog_user_status_active(&cfg, "ARCHIVED"));
    ck_assert(!cog_user_status_active(&cfg, "FORCE_CHANGE"));
    ck_assert(!cog_user_status_active(&cfg, "UNCONFIRMED"));
    cog_config_free(&cfg);
    cog_config_init(&cfg);
    static const char *const bad[] = {"", "confirmed", "A,,B", "A,", ",A", "A B", "A;B"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cog_config_begin_source(&cfg);
        ck_assert_msg(cog_config_set(&cfg, "allowed_user_status", bad[i], NULL, 0, &err) ==
                          COG_ERR_CONFIG,
                      "'%s' taken", bad[i]);
    }
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_failure_texts)
{
    /* A wrong password and an unknown user must read the same: nothing. */
    ck_assert_ptr_null(cog_auth_failure_text(COG_ERR_AUTH));
    ck_assert_ptr_null(cog_auth_failure_text(COG_ERR_USER_UNKNOWN));
    ck_assert_ptr_null(cog_auth_failure_text(COG_ERR_TOKEN));
    ck_assert_ptr_nonnull(cog_auth_failure_text(COG_ERR_UNAVAILABLE));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("account");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_otpauth_uri);
    tcase_add_test(tc, test_qr_text_is_the_symbol);
    tcase_add_test(tc, test_qr_quiet_zone);
    tcase_add_test(tc, test_totp_texts);
    tcase_add_test(tc, test_menu_words);
    tcase_add_test(tc, test_delivery_text_filtered);
    tcase_add_test(tc, test_failure_texts);
    tcase_add_test(tc, test_text_escape);
    tcase_add_test(tc, test_user_status_active);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
