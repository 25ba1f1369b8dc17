/* The texts Cognito's SRP exchange carries beside the numbers: the
 * timestamp and the SDK's signed padHex (srp.h). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "libcognito/signin/srp.h"
#include "libcognito/signin/srp_internal.h"
#include "libcognito/core/util.h"

void cog_srp_timestamp(time_t now, char out[COG_SRP_TIMESTAMP_MAX])
{
    /* Cognito compares the text literally: names must not follow the locale. */
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        out[0] = '\0';
        return;
    }
    snprintf(out, COG_SRP_TIMESTAMP_MAX, "%s %s %d %02d:%02d:%02d UTC %lld", days[tm.tm_wday],
             months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long long)tm.tm_year + 1900);
}

char *cog_srp_padhex(const unsigned char *be, size_t len, int negative)
{
    unsigned char *buf = NULL;
    char *hex = NULL;

    if (be == NULL && len > 0)
        return NULL;
    while (len > 0 && be[0] == 0) {
        be++;
        len--;
    }
    if (len == 0) /* zero has no sign: "00" either way */
        return strdup("00");
    buf = malloc(len + 1);
    if (buf == NULL)
        goto out;
    size_t n = 0;
    if (be[0] & 0x80)
        buf[n++] = 0;
    memcpy(buf + n, be, len);
    n += len;
    if (negative) {
        /* Two's complement over the padded width; the carry cannot leave it
         * because the magnitude is non-zero. */
        unsigned carry = 1;
        for (size_t i = n; i-- > 0;) {
            unsigned v = (unsigned)(unsigned char)~buf[i] + carry;
            buf[i] = (unsigned char)v;
            carry = v >> 8;
        }
        /* The SDK drops a redundant ff before 8x (only -80..00 gets one). */
        if (n >= 2 && buf[0] == 0xff && (buf[1] & 0xf0) == 0x80) {
            memmove(buf, buf + 1, n - 1);
            n--;
        }
    }
    hex = srp_bytes_to_hex(buf, n);
out:
    free(buf);
    return hex;
}
