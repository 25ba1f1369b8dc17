/* CPU per SRP login for libcognito, on the inputs of srp_vectors.json case1.
 * One login = a fresh random a and A, then the PASSWORD_VERIFIER claim
 * signature, as cog_srp_new + cog_srp_claim do in a real login.
 * bench/srp runs this next to the reference SDK and prints the ratio.
 *
 * usage: bench_srp [-n ITERATIONS] [VECTORS_JSON] */
#include "build-config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/signin/srp.h"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *field(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string)) {
        fprintf(stderr, "bench_srp: vectors lack %s\n", key);
        exit(EXIT_FAILURE);
    }
    return json_object_get_string(v);
}

static int hex_to_bytes(const char *hex, unsigned char *out, size_t cap, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return 0;
}

/* One login. With a == NULL the ephemeral is drawn from the CSPRNG, as in production. */
static int login(const struct cog_srp_claim_input *tmpl, const unsigned char *a, size_t a_len,
                 char sig[COG_SRP_SIGNATURE_MAX])
{
    struct cog_srp *srp = NULL;
    struct cog_error err = {0};
    char ts[COG_SRP_TIMESTAMP_MAX];
    struct cog_srp_claim_input in = *tmpl;
    cog_status st;

    st = a != NULL ? cog_srp_new_from_a(a, a_len, &srp, &err) : cog_srp_new(&srp, &err);
    if (st != COG_OK)
        goto out;
    /* The SRP_A we would send; touching it keeps the work honest. */
    if (cog_srp_A_hex(srp)[0] == '\0') {
        st = COG_ERR_INTERNAL;
        goto out;
    }
    if (in.timestamp == NULL) {
        cog_srp_timestamp(time(NULL), ts);
        in.timestamp = ts;
    }
    st = cog_srp_claim(srp, &in, sig, NULL, &err);
out:
    if (st != COG_OK)
        fprintf(stderr, "bench_srp: login failed: %s: %s\n", cog_status_name(st), err.message);
    cog_srp_free(srp);
    return st == COG_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    long iterations = 200;
    const char *path = "tests/vectors/srp_vectors.json";
    int opt, rc = EXIT_FAILURE;

    while ((opt = getopt(argc, argv, "n:")) != -1) {
        if (opt == 'n' && (iterations = strtol(optarg, NULL, 10)) > 0)
            continue;
        fprintf(stderr, "usage: %s [-n ITERATIONS] [VECTORS_JSON]\n", argv[0]);
        return EXIT_FAILURE;
    }
    if (optind < argc)
        path = argv[optind];

    json_object *root = json_object_from_file(path);
    json_object *cases = NULL, *c = NULL, *inputs = NULL, *expected = NULL;
    if (root == NULL || !json_object_object_get_ex(root, "cases", &cases) ||
        (c = json_object_array_get_idx(cases, 0)) == NULL ||
        !json_object_object_get_ex(c, "inputs", &inputs) ||
        !json_object_object_get_ex(c, "expected", &expected)) {
        fprintf(stderr, "bench_srp: cannot read case1 from %s\n", path);
        goto out;
    }
    struct cog_srp_claim_input in = {
        .pool_name = field(inputs, "pool_name"),
        .user_id = field(inputs, "user_id_for_srp"),
        .password = field(inputs, "password"),
        .salt_hex = field(inputs, "challenge_SALT"),
        .B_hex = field(inputs, "challenge_SRP_B"),
        .secret_block_b64 = field(inputs, "challenge_SECRET_BLOCK"),
    };

    /* Time only a computation that is right: case1's a must give the SDK's signature. */
    unsigned char a[128];
    size_t a_len;
    char sig[COG_SRP_SIGNATURE_MAX];
    struct cog_srp_claim_input fixed = in;
    fixed.timestamp = field(expected, "TIMESTAMP");
    double t0 = cpu_ms();
    if (hex_to_bytes(field(inputs, "a_hex_128_bytes"), a, sizeof(a), &a_len) != 0 ||
        login(&fixed, a, a_len, sig) != 0 ||
        strcmp(sig, field(expected, "PASSWORD_CLAIM_SIGNATURE")) != 0) {
        fprintf(stderr, "bench_srp: case1 known answer does not match\n");
        goto out;
    }
    double cold = cpu_ms() - t0;

    t0 = cpu_ms();
    for (long i = 0; i < iterations; i++) {
        if (login(&in, NULL, 0, sig) != 0)
            goto out;
    }
    double per = (cpu_ms() - t0) / (double)iterations;
    printf("bench_srp: iterations=%ld cpu_ms_per_login=%.3f first_login_cpu_ms=%.3f\n", iterations,
           per, cold);
    rc = EXIT_SUCCESS;
out:
    json_object_put(root);
    return rc;
}
