/* The shapes of string keys' values (config_values.c). */
#ifndef COGNITO_CONFIG_VALUES_H
#define COGNITO_CONFIG_VALUES_H

enum cog_value_kind {
    COG_VALUE_STRING,
    COG_VALUE_URL,  /* https:// only: TLS is always verified */
    COG_VALUE_PATH, /* absolute */
};

/* NULL when value suits the key called name, else why not (static text). */
const char *cog_config_check_value(const char *name, enum cog_value_kind kind, const char *value);

#endif
