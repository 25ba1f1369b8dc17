#include "build-config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"

/* The four half-block cells, indexed by (top light) | (bottom light) << 1. */
static const char *const cells[4] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};

static bool light(const QRcode *q, int x, int y)
{
    /* Outside the symbol is margin, which must be light. */
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return true;
    return (q->data[y * q->width + x] & 1) == 0;
}

cog_status cog_qr_text(const char *text, char **out, struct cog_error *err)
{
    return cog_qr_text_style(text, COG_QR_DARK, out, err);
}

const char *cog_qr_intro(enum cog_qr_style style)
{
    return style == COG_QR_LIGHT ? COG_QR_INTRO("light", "dark") : COG_QR_INTRO("dark", "light");
}

char *cog_totp_key_grouped(const char *secret)
{
    size_t n = strlen(secret);
    char *out = malloc(n + n / 4 + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 4 == 0)
            *p++ = ' ';
        *p++ = secret[i];
    }
    *p = '\0';
    return out;
}

cog_status cog_qr_text_style(const char *text, enum cog_qr_style style, char **out,
                             struct cog_error *err)
{
    cog_status st = COG_OK;
    QRcode *q = NULL;
    char *buf = NULL;

    *out = NULL;
    q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
    if (q == NULL) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "cannot encode a QR code");
        goto out;
    }
    int size = q->width + 2 * COG_QR_MARGIN;
    int lines = (size + 1) / 2;
    /* Three bytes per cell at most, a newline per line, the NUL. */
    size_t cap = (size_t)lines * ((size_t)size * 3 + 1) + 1;
    buf = malloc(cap);
    if (buf == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    char *p = buf;
    for (int line = 0; line < lines; line++) {
        int y = 2 * line - COG_QR_MARGIN;
        for (int x = -COG_QR_MARGIN; x < q->width + COG_QR_MARGIN; x++) {
            /* Below the last margin row is not part of the code: blank. */
            bool below = y + 1 >= q->width + COG_QR_MARGIN;
            bool top = light(q, x, y), bottom = !below && light(q, x, y + 1);
            if (style == COG_QR_LIGHT) { /* draw the dark ones */
                top = !top;
                bottom = !below && !bottom;
            }
            const char *c = cells[(top ? 1 : 0) | (bottom ? 2 : 0)];
            size_t n = strlen(c);
            memcpy(p, c, n);
            p += n;
        }
        if (line + 1 < lines)
            *p++ = '\n';
    }
    *p = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    if (q != NULL) {
        /* The symbol encodes a TOTP secret. */
        cog_wipe(q->data, (size_t)q->width * (size_t)q->width);
        QRcode_free(q);
    }
    return st;
}
