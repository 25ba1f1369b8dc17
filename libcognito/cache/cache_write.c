/* The cache writer: a model of users and groups in memory, its file image
 * (cache_format.h); cache_file.c writes it, under the writers'
 * lock (cache_lock.c). Readers never lock; see cache.h for why this is safe. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/core/arena.h"
#include "libcognito/core/buf.h"
#include "libcognito/cache/cache.h"
#include "libcognito/cache/cache_image.h"
#include "libcognito/core/util.h"

/* ---- the model ------------------------------------------------------------------ */

void cog_cache_model_init(struct cog_cache_model *m)
{
    memset(m, 0, sizeof(*m));
    m->arena = cog_arena_new();
}

void cog_cache_model_free(struct cog_cache_model *m)
{
    free(m->users);
    free(m->groups);
    cog_arena_free(m->arena);
    memset(m, 0, sizeof(*m));
}

static void *grow(void *array, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return array;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / elem)
        return NULL;
    void *na = realloc(array, ncap * elem);
    if (na != NULL)
        *cap = ncap;
    return na;
}

struct cog_cache_user *cog_cache_model_add_user(struct cog_cache_model *m)
{
    struct cog_cache_user *u = grow(m->users, &m->users_cap, m->nusers, sizeof(*u));
    if (u == NULL || m->arena == NULL)
        return NULL;
    m->users = u;
    memset(&u[m->nusers], 0, sizeof(*u));
    return &u[m->nusers++];
}

struct cog_cache_group *cog_cache_model_add_group(struct cog_cache_model *m)
{
    struct cog_cache_group *g = grow(m->groups, &m->groups_cap, m->ngroups, sizeof(*g));
    if (g == NULL || m->arena == NULL)
        return NULL;
    m->groups = g;
    memset(&g[m->ngroups], 0, sizeof(*g));
    return &g[m->ngroups++];
}

void *cog_cache_model_alloc(struct cog_cache_model *m, size_t n)
{
    return m->arena ? cog_arena_alloc(m->arena, n) : NULL;
}

char *cog_cache_model_strdup(struct cog_cache_model *m, const char *s)
{
    return m->arena ? cog_arena_strdup(m->arena, s) : NULL;
}

/* ---- the image ------------------------------------------------------------------ */

static uint32_t slots_for(size_t n)
{
    /* Load at most one half: a miss ends within a probe or two. */
    uint32_t s = 8;
    while (s < 2 * n && s < (1u << 31))
        s <<= 1;
    return n == 0 ? 0 : s;
}

/* Inserts ref under key unless an equal entry is there; same() tells. */
static bool index_put(struct cog_disk_slot *tab, uint32_t slots, uint32_t key, uint32_t ref,
                      bool (*same)(const void *ctx, uint32_t a, uint32_t b), const void *ctx)
{
    uint32_t mask = slots - 1;
    for (uint32_t at = cog_disk_mix(key) & mask;; at = (at + 1) & mask) {
        if (tab[at].ref == 0) {
            tab[at].key = key;
            tab[at].ref = ref;
            return true;
        }
        if (tab[at].key == key && same(ctx, tab[at].ref - 1, ref - 1))
            return false;
    }
}

struct name_ctx {
    const char *strings;
    const uint32_t *name_off; /* per record */
};

static bool same_name(const void *ctx, uint32_t a, uint32_t b)
{
    const struct name_ctx *c = ctx;
    return strcmp(c->strings + c->name_off[a], c->strings + c->name_off[b]) == 0;
}

/* Users are compared through their records, which are in the pool (ctx). */
static const struct cog_disk_user *pool_user(const void *pool, uint32_t unit)
{
    return (const struct cog_disk_user *)(const void *)((const char *)pool + (size_t)unit * 8);
}

static bool same_user_name(const void *ctx, uint32_t a, uint32_t b)
{
    const char *pool = ctx;
    return strcmp(pool + pool_user(pool, a)->name, pool + pool_user(pool, b)->name) == 0;
}

static bool same_user_uid(const void *ctx, uint32_t a, uint32_t b)
{
    return pool_user(ctx, a)->uid == pool_user(ctx, b)->uid;
}

struct id_ctx {
    const uint32_t *id; /* per record */
};

static bool same_id(const void *ctx, uint32_t a, uint32_t b)
{
    const struct id_ctx *c = ctx;
    return c->id[a] == c->id[b];
}

/* Lays out header, sections, checksums into out. */
static void assemble(struct cog_buf *out, struct cog_disk_header *h, const void *const sect[],
                     const size_t sizes[])
{
    cog_buf_add_zero(out, sizeof(*h));
    for (unsigned s = 0; s < COG_SEC_COUNT; s++) {
        cog_buf_align(out, 8);
        h->sect[s].off = sizes[s] ? out->len : 0;
        h->sect[s].size = sizes[s];
        cog_buf_add(out, sect[s], sizes[s]);
    }
    cog_buf_align(out, 8);
    if (out->failed)
        return;
    h->file_size = out->len;
    h->body_sum = cog_disk_checksum(out->data + sizeof(*h), out->len - sizeof(*h));
    h->header_sum = cog_disk_checksum(h, offsetof(struct cog_disk_header, header_sum));
    memcpy(out->data, h, sizeof(*h));
}

static void header_init(struct cog_disk_header *h, const struct cog_cache_model *m,
                        enum cog_disk_kind kind)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, COG_DISK_MAGIC, 8);
    h->version = COG_DISK_VERSION;
    h->kind = kind;
    h->header_size = sizeof(*h);
    h->flags = m->delta ? COG_DISK_DELTA : 0;
    h->built_at = m->built_at;
    /* A full file's listing time, when its writer says (a sync, a snapshot). */
    h->base_time = m->delta || m->base_time != 0 ? m->base_time : m->built_at;
}

static cog_status build_nss(const struct cog_cache_model *m, struct cog_image *im,
                            struct cog_buf *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_disk_header h;
    size_t nu = m->nusers, ng = m->ngroups;
    uint32_t *units = calloc(nu ? nu : 1, sizeof(*units));
    struct cog_disk_group *groups = calloc(ng ? ng : 1, sizeof(*groups));
    uint32_t *uname = calloc(nu ? nu : 1, 4), *uid = calloc(nu ? nu : 1, 4);
    uint32_t *gname = calloc(ng ? ng : 1, 4), *gid = calloc(ng ? ng : 1, 4);
    uint32_t *members = NULL;
    uint32_t slots[4] = {slots_for(nu), slots_for(nu), slots_for(ng), slots_for(ng)};
    struct cog_disk_slot *idx[4] = {0};

    for (int i = 0; i < 4; i++)
        idx[i] = calloc(slots[i] ? slots[i] : 1, sizeof(struct cog_disk_slot));
    if (!units || !groups || !uname || !uid || !gname || !gid || !idx[0] || !idx[1] || !idx[2] ||
        !idx[3]) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* Each record goes into the string pool just before its own strings
     * (cache_format.h says why). */
    for (size_t i = 0; i < nu; i++) {
        const struct cog_cache_user *u = &m->users[i];
        struct cog_disk_user rec = {0};
        cog_buf_align(&im->strings, 8);
        size_t at = cog_buf_add_zero(&im->strings, sizeof(rec));
        /* A home that ends in the name ("/home/NAME") holds the name too:
         * one string fewer per user, the name still right after the record. */
        size_t hl = u->home ? strlen(u->home) : 0, nl = u->name ? strlen(u->name) : 0;
        if (nl > 0 && hl > nl && strcmp(u->home + hl - nl, u->name) == 0) {
            rec.home = cog_image_string(im, u->home);
            rec.name = uname[i] = rec.home + (uint32_t)(hl - nl);
        } else {
            rec.name = uname[i] = cog_image_string(im, u->name);
            rec.home = cog_image_string(im, u->home);
        }
        rec.gecos = cog_image_string(im, u->gecos);
        rec.shell = cog_image_intern(im, u->shell);
        rec.uid = uid[i] = u->uid;
        rec.gid = u->gid;
        rec.gids = cog_image_intern_words(im, u->gids, u->ngids);
        rec.flags = u->hidden ? COG_DISK_HIDDEN : 0;
        if (im->strings.failed || at / 8 >= UINT32_MAX) {
            im->failed = true;
            break;
        }
        memcpy(im->strings.data + at, &rec, sizeof(rec));
        units[i] = (uint32_t)(at / 8);
    }
    for (size_t i = 0; i < ng; i++) {
        const struct cog_cache_group *g = &m->groups[i];
        groups[i].name = gname[i] = cog_image_intern(im, g->name);
        groups[i].gid = gid[i] = g->gid;
        uint32_t small[64];
        members = g->nmembers <= 64 ? small : malloc(g->nmembers * 4);
        if (members == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        size_t n = 0;
        for (size_t k = 0; k < g->nmembers; k++) {
            if (g->members[k] < nu && !m->users[g->members[k]].hidden)
                members[n++] = uname[g->members[k]];
        }
        groups[i].members = cog_image_words(im, members, n);
        if (members != small)
            free(members);
        members = NULL;
    }
    if (im->failed || im->strings.failed || im->words.failed) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "cache too large or out of memory");
        goto out;
    }

    /* Live users own their keys; a hidden record takes only keys nobody has. */
    struct name_ctx gn = {im->strings.data, gname};
    struct id_ctx gi = {gid};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nu; i++) {
            if (m->users[i].hidden != (pass == 1))
                continue;
            uint32_t ref = units[i] + 1;
            bool a = index_put(idx[0], slots[0], cog_disk_name_key(im->strings.data + uname[i]),
                               ref, same_user_name, im->strings.data);
            bool b = index_put(idx[1], slots[1], uid[i], ref, same_user_uid, im->strings.data);
            if (pass == 0 && (!a || !b)) {
                st = cog_error_set(err, COG_ERR_INTERNAL, NULL,
                                   "cache: two users named '%s' or with uid %u",
                                   im->strings.data + uname[i], uid[i]);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < ng; i++) {
        uint32_t ref = (uint32_t)i + 1;
        if (!index_put(idx[2], slots[2], cog_disk_name_key(im->strings.data + gname[i]), ref,
                       same_name, &gn) ||
            !index_put(idx[3], slots[3], gid[i], ref, same_id, &gi)) {
            st = cog_error_set(err, COG_ERR_INTERNAL, NULL,
                               "cache: two groups named '%s' or with gid %u",
                               im->strings.data + gname[i], gid[i]);
            goto out;
        }
    }

    header_init(&h, m, COG_DISK_NSS);
    h.count[0] = (uint32_t)nu;
    h.count[1] = (uint32_t)ng;
    memcpy(h.slots, slots, sizeof(slots));
    const void *sect[COG_SEC_COUNT] = {units,  groups, im->words.data, im->strings.data,
                                       idx[0], idx[1], idx[2],         idx[3]};
    size_t sizes[COG_SEC_COUNT] = {nu * sizeof(*units),
                                   ng * sizeof(*groups),
                                   im->words.len,
                                   im->strings.len,
                                   slots[0] * sizeof(struct cog_disk_slot),
                                   slots[1] * sizeof(struct cog_disk_slot),
                                   slots[2] * sizeof(struct cog_disk_slot),
                                   slots[3] * sizeof(struct cog_disk_slot)};
    assemble(out, &h, sect, sizes);
    if (out->failed)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    free(units);
    free(groups);
    free(uname);
    free(uid);
    free(gname);
    free(gid);
    for (int i = 0; i < 4; i++)
        free(idx[i]);
    return st;
}

static cog_status build_accounts(const struct cog_cache_model *m, struct cog_image *im,
                                 struct cog_buf *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_disk_header h;
    size_t nu = m->nusers;
    struct cog_disk_account *acc = calloc(nu ? nu : 1, sizeof(*acc));
    uint32_t *aname = calloc(nu ? nu : 1, 4), *asub = calloc(nu ? nu : 1, 4);
    uint32_t slots[2] = {slots_for(nu), slots_for(nu)};
    struct cog_disk_slot *idx[2] = {calloc(slots[0] ? slots[0] : 1, sizeof(struct cog_disk_slot)),
                                    calloc(slots[1] ? slots[1] : 1, sizeof(struct cog_disk_slot))};

    if (!acc || !aname || !asub || !idx[0] || !idx[1]) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nu; i++) {
        const struct cog_cache_user *u = &m->users[i];
        acc[i].name = aname[i] = cog_image_string(im, u->name);
        acc[i].sub = asub[i] = cog_image_string(im, u->sub);
        acc[i].status = cog_image_intern(im, u->status);
        acc[i].uid = u->uid;
        acc[i].groups = cog_image_string_list(im, u->groups, u->ngroups, true);
        acc[i].keys = cog_image_string_list(im, u->keys, u->nkeys, false);
        acc[i].flags = (u->hidden ? COG_DISK_HIDDEN : 0) | (u->enabled ? COG_DISK_ENABLED : 0);
        acc[i].created = u->created;
        acc[i].stamp = u->stamp;
    }
    if (im->failed || im->strings.failed || im->words.failed) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "cache too large or out of memory");
        goto out;
    }
    struct name_ctx byname = {im->strings.data, aname}, bysub = {im->strings.data, asub};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nu; i++) {
            if (m->users[i].hidden != (pass == 1))
                continue;
            uint32_t ref = (uint32_t)i + 1;
            bool a = index_put(idx[0], slots[0], cog_disk_name_key(im->strings.data + aname[i]),
                               ref, same_name, &byname);
            bool b = pass == 1 || asub[i] == 0 ||
                     index_put(idx[1], slots[1], cog_disk_name_key(im->strings.data + asub[i]), ref,
                               same_name, &bysub);
            if (pass == 0 && (!a || !b)) {
                st = cog_error_set(err, COG_ERR_INTERNAL, NULL,
                                   "cache: two accounts named '%s' or with one sub",
                                   im->strings.data + aname[i]);
                goto out;
            }
        }
    }
    header_init(&h, m, COG_DISK_ACCOUNTS);
    h.count[0] = (uint32_t)nu;
    h.slots[0] = slots[0];
    h.slots[1] = slots[1];
    const void *sect[COG_SEC_COUNT] = {acc, NULL, im->words.data, im->strings.data, idx[0], idx[1]};
    size_t sizes[COG_SEC_COUNT] = {nu * sizeof(*acc),
                                   0,
                                   im->words.len,
                                   im->strings.len,
                                   slots[0] * sizeof(struct cog_disk_slot),
                                   slots[1] * sizeof(struct cog_disk_slot),
                                   0,
                                   0};
    assemble(out, &h, sect, sizes);
    if (out->failed)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    free(acc);
    free(aname);
    free(asub);
    free(idx[0]);
    free(idx[1]);
    return st;
}

cog_status cog_cache_build(const struct cog_cache_model *m, enum cog_disk_kind kind, char **data,
                           size_t *len, struct cog_error *err)
{
    cog_status st;
    struct cog_image im;
    struct cog_buf out = {.public_data = true};

    *data = NULL;
    *len = 0;
    cog_image_init(&im);
    st = kind == COG_DISK_NSS ? build_nss(m, &im, &out, err) : build_accounts(m, &im, &out, err);
    if (st != COG_OK)
        goto out;
    *data = cog_buf_take(&out, len);
    if (*data == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    cog_image_free(&im);
    cog_buf_free(&out);
    return st;
}

cog_status cog_cache_build_keys(const struct cog_cache_model *m, char **data, size_t *len,
                                struct cog_error *err)
{
    struct cog_cache_model pub = *m; /* shares m's arena: never freed as a model */
    cog_status st;

    pub.users = calloc(m->nusers ? m->nusers : 1, sizeof(*pub.users));
    if (pub.users == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    pub.nusers = pub.users_cap = 0;
    pub.groups = NULL;
    pub.ngroups = pub.groups_cap = 0;
    for (size_t i = 0; i < m->nusers; i++) {
        const struct cog_cache_user *u = &m->users[i];
        /* A logins file keeps every record: it must shadow the full one's. */
        if (!m->delta && !u->hidden && u->nkeys == 0)
            continue;
        struct cog_cache_user *p = &pub.users[pub.nusers++];
        *p = *u;
        p->sub = "";
        p->groups = NULL;
        p->ngroups = 0;
        p->gids = NULL;
        p->ngids = 0;
        p->created = p->stamp = 0;
    }
    st = cog_cache_build(&pub, COG_DISK_ACCOUNTS, data, len, err);
    free(pub.users);
    return st;
}
