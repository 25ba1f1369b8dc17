# After whatever is there already (files first, as Debian ships it): local
# names and ids always win, and the cache never gives a pool user a name or
# id /etc/passwd or /etc/group uses.
passwd last cognito
group last cognito
