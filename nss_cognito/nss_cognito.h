/* The entry points glibc (and nss_wrapper) look up in libnss_cognito.so.2 by
 * name; the only symbols the module exports (exports.map). */
#ifndef NSS_COGNITO_H
#define NSS_COGNITO_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <sys/types.h>

enum nss_status _nss_cognito_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                        size_t buflen, int *errnop);
enum nss_status _nss_cognito_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                        int *errnop);
enum nss_status _nss_cognito_setpwent(int stayopen);
enum nss_status _nss_cognito_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_cognito_endpwent(void);

enum nss_status _nss_cognito_getgrnam_r(const char *name, struct group *gr, char *buf,
                                        size_t buflen, int *errnop);
enum nss_status _nss_cognito_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                        int *errnop);
enum nss_status _nss_cognito_setgrent(int stayopen);
enum nss_status _nss_cognito_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_cognito_endgrent(void);

enum nss_status _nss_cognito_initgroups_dyn(const char *user, gid_t group, long int *start,
                                            long int *size, gid_t **groupsp, long int limit,
                                            int *errnop);

#endif
