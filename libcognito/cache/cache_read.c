/* The cache reader: lookups in a file cache_map.c has mapped and checked.
 * libc only: the NSS module links this file into every process on the
 * host, so it opens no socket, allocates nothing, and trusts no byte of
 * the file it has not checked against the mapping's bounds. A writer's
 * large file is read on demand instead (struct cog_cache_fetch): the same
 * lookups then ask it for the bytes they would have touched. */
#include "build-config.h"

#include <string.h>

#include "libcognito/cache/cache.h"

/* Bytes [off, off + len) of section sec (off and len checked by the caller
 * against the section), whose mapping is at mapped; NULL when a read on
 * demand fails. */
static const void *sect_at(const struct cog_cache_map *m, const void *mapped, unsigned sec,
                           uint64_t off, size_t len)
{
    if (m->base != NULL)
        return (const unsigned char *)mapped + off;
    return m->fetch->read(m->fetch, m->hdr->sect[sec].off + off, len, false);
}

const char *cog_cache_str(const struct cog_cache_map *m, uint32_t off)
{
    /* The pool ends with a NUL (checked at open), so any in-range offset
     * starts a terminated string. */
    if (m == NULL || off >= m->strings_size)
        return NULL;
    if (m->base != NULL)
        return m->strings + off;
    return m->fetch->read(m->fetch, m->hdr->sect[COG_SEC_STRINGS].off + off, m->strings_size - off,
                          true);
}

/* Read on demand, a list's count and its first items come in one read. */
#define LIST_WINDOW 16u

bool cog_cache_list(const struct cog_cache_map *m, uint32_t off, const uint32_t **items,
                    uint32_t *n)
{
    if (off >= m->nwords)
        return false;
    uint32_t avail = m->nwords - off; /* the count word and what may follow it */
    uint32_t window = m->base != NULL || avail < LIST_WINDOW ? avail : LIST_WINDOW;
    const uint32_t *w = sect_at(m, m->words, COG_SEC_WORDS, (uint64_t)off * 4, (size_t)window * 4);
    if (w == NULL || w[0] > avail - 1)
        return false;
    *n = w[0];
    *items = w + 1;
    if (w[0] < window)
        return true;
    /* A long list read on demand: the items on their own. */
    *items = sect_at(m, m->words, COG_SEC_WORDS, ((uint64_t)off + 1) * 4, (size_t)w[0] * 4);
    return *items != NULL;
}

/* ---- records, checked before anyone reads a field ------------------------------ */

static bool strings_ok(const struct cog_cache_map *m, const uint32_t *offs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (offs[i] >= m->strings_size)
            return false;
    }
    return true;
}

static bool string_list_ok(const struct cog_cache_map *m, uint32_t off)
{
    const uint32_t *items;
    uint32_t n;
    return cog_cache_list(m, off, &items, &n) && strings_ok(m, items, n);
}

/* A record's name: in range (checked), readable and not empty. */
static const char *name_of(const struct cog_cache_map *m, uint32_t off)
{
    const char *name = cog_cache_str(m, off);
    return name != NULL && *name != '\0' ? name : NULL;
}

/* uid and gid 0 can only come from damage or tampering: never root. The
 * gids list is checked by whoever reads it (cog_cache_list): a passwd
 * lookup should not pay a cache miss for it. *name: the record's name. */
static const struct cog_disk_user *user_checked(const struct cog_cache_map *m,
                                                const struct cog_disk_user *u, const char **name)
{
    uint32_t strs[4] = {u->name, u->gecos, u->home, u->shell};
    if (!strings_ok(m, strs, 4) || u->uid == 0 || u->gid == 0 ||
        (*name = name_of(m, u->name)) == NULL)
        return NULL;
    return u;
}

/* The member list too is checked by whoever reads it (cog_cache_list, then
 * cog_cache_str for each name): a group of 10,000 members is 40 KB that a
 * lookup by gid (initgroups, a writer probing for a free gid) must not
 * read. */
static const struct cog_disk_group *group_checked(const struct cog_cache_map *m,
                                                  const struct cog_disk_group *g, const char **name)
{
    if (g->name >= m->strings_size || g->gid == 0 || (*name = name_of(m, g->name)) == NULL)
        return NULL;
    return g;
}

static const struct cog_disk_account *
account_checked(const struct cog_cache_map *m, const struct cog_disk_account *a, const char **name)
{
    uint32_t strs[3] = {a->name, a->sub, a->status};
    if (!strings_ok(m, strs, 3) || !string_list_ok(m, a->groups) || !string_list_ok(m, a->keys) ||
        (*name = name_of(m, a->name)) == NULL)
        return NULL;
    return a;
}

/* Read on demand, a user's record comes with the strings written after
 * it (its name and the rest, cache_write.c), so they cost no more reads. */
#define USER_WINDOW 256u

/* The user record at 8-byte unit `unit` of the string pool. */
static const struct cog_disk_user *user_in_pool(const struct cog_cache_map *m, uint32_t unit,
                                                const char **name)
{
    uint64_t off = (uint64_t)unit * 8;
    if (off + sizeof(struct cog_disk_user) > m->strings_size)
        return NULL;
    uint64_t rest = m->strings_size - off;
    size_t len = m->base != NULL || rest < USER_WINDOW ? sizeof(struct cog_disk_user) : USER_WINDOW;
    const struct cog_disk_user *u = sect_at(m, m->strings, COG_SEC_STRINGS, off, len);
    return u != NULL ? user_checked(m, u, name) : NULL;
}

/* Entry i of array j (0: users or accounts, 1: groups; section j) of a
 * file of kind, size bytes each. */
static const void *entry_at(const struct cog_cache_map *m, enum cog_disk_kind kind, unsigned j,
                            uint32_t i, size_t size)
{
    if (m == NULL || m->hdr->kind != (uint32_t)kind || i >= m->nrec[j])
        return NULL;
    return sect_at(m, m->rec[j], COG_SEC_USERS + j, (uint64_t)i * size, size);
}

static const struct cog_disk_user *user_at(const struct cog_cache_map *m, uint32_t i,
                                           const char **name)
{
    const uint32_t *unit = entry_at(m, COG_DISK_NSS, 0, i, sizeof(*unit));
    return unit != NULL ? user_in_pool(m, *unit, name) : NULL;
}

static const struct cog_disk_group *group_at(const struct cog_cache_map *m, uint32_t i,
                                             const char **name)
{
    const struct cog_disk_group *g = entry_at(m, COG_DISK_NSS, 1, i, sizeof(*g));
    return g != NULL ? group_checked(m, g, name) : NULL;
}

static const struct cog_disk_account *account_at(const struct cog_cache_map *m, uint32_t i,
                                                 const char **name)
{
    const struct cog_disk_account *a = entry_at(m, COG_DISK_ACCOUNTS, 0, i, sizeof(*a));
    return a != NULL ? account_checked(m, a, name) : NULL;
}

const struct cog_disk_user *cog_cache_user_at(const struct cog_cache_map *m, uint32_t i)
{
    const char *name;
    return user_at(m, i, &name);
}

const struct cog_disk_group *cog_cache_group_at(const struct cog_cache_map *m, uint32_t i)
{
    const char *name;
    return group_at(m, i, &name);
}

const struct cog_disk_account *cog_cache_account_at(const struct cog_cache_map *m, uint32_t i)
{
    const char *name;
    return account_at(m, i, &name);
}

/* ---- indexes ------------------------------------------------------------------- */

/* The checked record of ref (an index's ref minus one) when it is the one
 * wanted, else NULL. */
typedef const void *(*slot_match)(const struct cog_cache_map *m, uint32_t ref, const void *want);

/* Read on demand, this many slots come in one read. */
#define PROBE_WINDOW 8u

/* Linear probing from mix(key); every candidate's record is checked by
 * match. A damaged index can at worst make the loop visit every slot once. */
static const void *probe(const struct cog_cache_map *m, unsigned idx, uint32_t key,
                         slot_match match, const void *want)
{
    uint32_t slots = m->slots[idx];
    if (slots == 0)
        return NULL;
    const struct cog_disk_slot *tab = NULL;
    uint32_t from = 0, have = 0; /* tab holds slots [from, from + have) */
    uint32_t mask = slots - 1;
    uint32_t at = cog_disk_mix(key) & mask;
    for (uint32_t n = 0; n < slots; n++, at = (at + 1) & mask) {
        if (at < from || at - from >= have) {
            from = at;
            have = m->base != NULL || slots - at < PROBE_WINDOW ? slots - at : PROBE_WINDOW;
            tab = sect_at(m, m->idx[idx], COG_SEC_IDX_A + idx, (uint64_t)at * sizeof(*tab),
                          (size_t)have * sizeof(*tab));
            if (tab == NULL)
                return NULL;
        }
        const struct cog_disk_slot *s = &tab[at - from];
        if (s->ref == 0)
            return NULL;
        const void *rec = s->key == key ? match(m, s->ref - 1, want) : NULL;
        if (rec != NULL)
            return rec;
    }
    return NULL;
}

static const void *user_name_is(const struct cog_cache_map *m, uint32_t unit, const void *want)
{
    const char *name;
    const struct cog_disk_user *u = user_in_pool(m, unit, &name);
    return u != NULL && strcmp(name, want) == 0 ? u : NULL;
}

static const void *user_uid_is(const struct cog_cache_map *m, uint32_t unit, const void *want)
{
    const char *name;
    const struct cog_disk_user *u = user_in_pool(m, unit, &name);
    return u != NULL && u->uid == *(const uint32_t *)want ? u : NULL;
}

static const void *group_name_is(const struct cog_cache_map *m, uint32_t i, const void *want)
{
    const char *name;
    const struct cog_disk_group *g = group_at(m, i, &name);
    return g != NULL && strcmp(name, want) == 0 ? g : NULL;
}

static const void *group_gid_is(const struct cog_cache_map *m, uint32_t i, const void *want)
{
    const char *name;
    const struct cog_disk_group *g = group_at(m, i, &name);
    return g != NULL && g->gid == *(const uint32_t *)want ? g : NULL;
}

static const void *account_name_is(const struct cog_cache_map *m, uint32_t i, const void *want)
{
    const char *name;
    const struct cog_disk_account *a = account_at(m, i, &name);
    return a != NULL && strcmp(name, want) == 0 ? a : NULL;
}

static const void *account_sub_is(const struct cog_cache_map *m, uint32_t i, const void *want)
{
    const char *name;
    const struct cog_disk_account *a = account_at(m, i, &name);
    const char *sub =
        a != NULL && (a->flags & COG_DISK_HIDDEN) == 0 ? cog_cache_str(m, a->sub) : NULL;
    return sub != NULL && strcmp(sub, want) == 0 ? a : NULL;
}

/* The record of the file's kind that index `idx` finds for key, or NULL. */
static const void *find_rec(const struct cog_cache_map *m, enum cog_disk_kind kind, unsigned idx,
                            uint32_t key, slot_match match, const void *want)
{
    if (m == NULL || m->hdr->kind != (uint32_t)kind)
        return NULL;
    return probe(m, idx, key, match, want);
}

static const struct cog_disk_user *find_user(const struct cog_cache_map *m, unsigned idx,
                                             uint32_t key, slot_match match, const void *want)
{
    return find_rec(m, COG_DISK_NSS, idx, key, match, want);
}

const struct cog_disk_user *cog_cache_user_by_name(const struct cog_cache_map *m, const char *name)
{
    return find_user(m, 0, cog_disk_name_key(name), user_name_is, name);
}

const struct cog_disk_user *cog_cache_user_by_uid(const struct cog_cache_map *m, uint32_t uid)
{
    return find_user(m, 1, uid, user_uid_is, &uid);
}

const struct cog_disk_group *cog_cache_group_by_name(const struct cog_cache_map *m,
                                                     const char *name)
{
    return find_rec(m, COG_DISK_NSS, 2, cog_disk_name_key(name), group_name_is, name);
}

const struct cog_disk_group *cog_cache_group_by_gid(const struct cog_cache_map *m, uint32_t gid)
{
    return find_rec(m, COG_DISK_NSS, 3, gid, group_gid_is, &gid);
}

const struct cog_disk_account *cog_cache_account_by_name(const struct cog_cache_map *m,
                                                         const char *name)
{
    return find_rec(m, COG_DISK_ACCOUNTS, 0, cog_disk_name_key(name), account_name_is, name);
}

const struct cog_disk_account *cog_cache_account_by_sub(const struct cog_cache_map *m,
                                                        const char *sub)
{
    return find_rec(m, COG_DISK_ACCOUNTS, 1, cog_disk_name_key(sub), account_sub_is, sub);
}

/* ---- the full file and the delta as one ------------------------------------------ */

static enum cog_cache_rc user_result(const struct cog_cache_map *m, const struct cog_disk_user *u,
                                     struct cog_view_user *out)
{
    if (u->flags & COG_DISK_HIDDEN)
        return COG_CACHE_NOTFOUND;
    out->map = m;
    out->rec = u;
    return COG_CACHE_OK;
}

enum cog_cache_rc cog_view_user_by_name(const struct cog_cache_view *v, const char *name,
                                        struct cog_view_user *out)
{
    /* One hash of the name for both files: the lookup path is the NSS
     * module's, run for every getpwnam on the host. */
    uint32_t key = cog_disk_name_key(name);
    const struct cog_disk_user *u = find_user(v->delta, 0, key, user_name_is, name);
    if (u != NULL)
        return user_result(v->delta, u, out);
    u = find_user(v->main, 0, key, user_name_is, name);
    return u != NULL ? user_result(v->main, u, out) : COG_CACHE_NOTFOUND;
}

enum cog_cache_rc cog_view_user_by_uid(const struct cog_cache_view *v, uint32_t uid,
                                       struct cog_view_user *out)
{
    const struct cog_disk_user *u = cog_cache_user_by_uid(v->delta, uid);
    if (u != NULL)
        return user_result(v->delta, u, out);
    u = cog_cache_user_by_uid(v->main, uid);
    return u != NULL ? user_result(v->main, u, out) : COG_CACHE_NOTFOUND;
}

/* A main-file user the delta says nothing about (by name or by uid). */
static bool main_user_visible(const struct cog_cache_view *v, const struct cog_disk_user *u)
{
    const char *name = cog_cache_str(v->main, u->name);
    return name != NULL && cog_cache_user_by_name(v->delta, name) == NULL &&
           cog_cache_user_by_uid(v->delta, u->uid) == NULL;
}

static enum cog_cache_rc private_group(const struct cog_view_user *u, struct cog_view_group *out)
{
    /* Only a user whose primary group is their own has a private group. */
    if (u->rec->gid != u->rec->uid)
        return COG_CACHE_NOTFOUND;
    out->map = u->map;
    out->rec = NULL;
    out->owner = u->rec;
    return COG_CACHE_OK;
}

enum cog_cache_rc cog_view_group_by_name(const struct cog_cache_view *v, const char *name,
                                         struct cog_view_group *out)
{
    struct cog_view_user u;
    const struct cog_cache_map *maps[2] = {v->delta, v->main};

    for (int i = 0; i < 2; i++) {
        const struct cog_disk_group *g = cog_cache_group_by_name(maps[i], name);
        if (g != NULL) {
            out->map = maps[i];
            out->rec = g;
            out->owner = NULL;
            return COG_CACHE_OK;
        }
    }
    if (cog_view_user_by_name(v, name, &u) == COG_CACHE_OK)
        return private_group(&u, out);
    return COG_CACHE_NOTFOUND;
}

enum cog_cache_rc cog_view_group_by_gid(const struct cog_cache_view *v, uint32_t gid,
                                        struct cog_view_group *out)
{
    struct cog_view_user u;
    const struct cog_cache_map *maps[2] = {v->delta, v->main};

    for (int i = 0; i < 2; i++) {
        const struct cog_disk_group *g = cog_cache_group_by_gid(maps[i], gid);
        if (g != NULL) {
            out->map = maps[i];
            out->rec = g;
            out->owner = NULL;
            return COG_CACHE_OK;
        }
    }
    if (cog_view_user_by_uid(v, gid, &u) == COG_CACHE_OK)
        return private_group(&u, out);
    return COG_CACHE_NOTFOUND;
}

const char *cog_view_group_name(const struct cog_view_group *g)
{
    return cog_cache_str(g->map, g->rec ? g->rec->name : g->owner->name);
}

uint32_t cog_view_group_gid(const struct cog_view_group *g)
{
    return g->rec ? g->rec->gid : g->owner->uid;
}

/* Visits a checked list of name offsets; false when fn stopped. */
static bool visit_names(const struct cog_cache_map *m, uint32_t list,
                        const struct cog_cache_map *skip, cog_view_member_fn fn, void *ctx,
                        size_t *count)
{
    const uint32_t *items;
    uint32_t n;
    if (!cog_cache_list(m, list, &items, &n))
        return true;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = cog_cache_str(m, items[i]);
        if (name == NULL || *name == '\0')
            continue;
        /* The delta's record of a user is the newer word on their groups. */
        if (skip != NULL && cog_cache_user_by_name(skip, name) != NULL)
            continue;
        (*count)++;
        if (!fn(ctx, name))
            return false;
    }
    return true;
}

size_t cog_view_group_members(const struct cog_cache_view *v, const struct cog_view_group *g,
                              cog_view_member_fn fn, void *ctx)
{
    size_t count = 0;
    if (g->rec == NULL)
        return 0; /* private groups have no members beyond their owner's primary gid */
    const char *name = cog_view_group_name(g);
    const struct cog_disk_group *mg = cog_cache_group_by_name(v->main, name);
    const struct cog_disk_group *dg = cog_cache_group_by_name(v->delta, name);
    if (mg != NULL && !visit_names(v->main, mg->members, v->delta, fn, ctx, &count))
        return count;
    if (dg != NULL)
        visit_names(v->delta, dg->members, NULL, fn, ctx, &count);
    return count;
}

/* Phases of enumeration: delta users, then main users the delta does not
 * shadow; for groups, Cognito groups of both, then private groups. */
enum cog_cache_rc cog_view_next_user(const struct cog_cache_view *v, struct cog_view_cursor *c,
                                     struct cog_view_user *out)
{
    for (; c->phase < 2; c->phase++, c->index = 0) {
        const struct cog_cache_map *m = c->phase == 0 ? v->delta : v->main;
        if (m == NULL)
            continue;
        while (c->index < m->nrec[0]) {
            const struct cog_disk_user *u = cog_cache_user_at(m, c->index++);
            if (u == NULL || (u->flags & COG_DISK_HIDDEN))
                continue;
            if (c->phase == 1 && v->delta != NULL && !main_user_visible(v, u))
                continue;
            out->map = m;
            out->rec = u;
            return COG_CACHE_OK;
        }
    }
    return COG_CACHE_NOTFOUND;
}

enum cog_cache_rc cog_view_next_group(const struct cog_cache_view *v, struct cog_view_cursor *c,
                                      struct cog_view_group *out)
{
    for (; c->phase < 2; c->phase++, c->index = 0) {
        const struct cog_cache_map *m = c->phase == 0 ? v->delta : v->main;
        if (m == NULL)
            continue;
        while (c->index < m->nrec[1]) {
            const char *name;
            const struct cog_disk_group *g = group_at(m, c->index++, &name);
            if (g == NULL)
                continue;
            if (c->phase == 1 && (cog_cache_group_by_name(v->delta, name) != NULL ||
                                  cog_cache_group_by_gid(v->delta, g->gid) != NULL))
                continue;
            out->map = m;
            out->rec = g;
            out->owner = NULL;
            return COG_CACHE_OK;
        }
    }
    /* Then every visible user's private group, with the user cursor's phases. */
    struct cog_view_cursor uc = {c->phase - 2, c->index};
    struct cog_view_user u;
    while (cog_view_next_user(v, &uc, &u) == COG_CACHE_OK) {
        c->phase = uc.phase + 2;
        c->index = uc.index;
        if (private_group(&u, out) == COG_CACHE_OK)
            return COG_CACHE_OK;
    }
    c->phase = 4;
    return COG_CACHE_NOTFOUND;
}

enum cog_cache_rc cog_view_account_by_name(const struct cog_cache_view *v, const char *name,
                                           const struct cog_cache_map **map,
                                           const struct cog_disk_account **out)
{
    const struct cog_cache_map *maps[2] = {v->delta, v->main};
    for (int i = 0; i < 2; i++) {
        const struct cog_disk_account *a = cog_cache_account_by_name(maps[i], name);
        if (a != NULL) {
            if (a->flags & COG_DISK_HIDDEN)
                return COG_CACHE_NOTFOUND;
            *map = maps[i];
            *out = a;
            return COG_CACHE_OK;
        }
    }
    return COG_CACHE_NOTFOUND;
}

enum cog_cache_rc cog_view_account_by_sub(const struct cog_cache_view *v, const char *sub,
                                          const struct cog_cache_map **map,
                                          const struct cog_disk_account **out)
{
    const struct cog_cache_map *maps[2] = {v->delta, v->main};
    for (int i = 0; i < 2; i++) {
        const struct cog_disk_account *a = cog_cache_account_by_sub(maps[i], sub);
        if (a != NULL) {
            *map = maps[i];
            *out = a;
            return COG_CACHE_OK;
        }
    }
    return COG_CACHE_NOTFOUND;
}
