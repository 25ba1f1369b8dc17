#include "build-config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/totp.h"

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

bool test_totp(const char *secret, time_t t, char out[7])
{
    unsigned char key[128], msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t n = 0;
    unsigned bits = 0, acc = 0;

    for (const char *p = secret; *p && *p != '='; p++) {
        if (*p == ' ')
            continue;
        int v = b32_value(*p);
        if (v < 0 || n >= sizeof(key))
            return false;
        acc = (acc << 5) | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            key[n++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    uint64_t counter = (uint64_t)t / 30;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(EVP_sha1(), key, (int)n, msg, sizeof(msg), mac, &mac_len) == NULL)
        return false;
    unsigned off = mac[mac_len - 1] & 0x0f;
    uint32_t v = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                 ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    snprintf(out, 7, "%06u", v % 1000000u);
    return true;
}
