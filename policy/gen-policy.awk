# Seed generator; sandbox work replaces this.
BEGIN { print "/* generated from policy/child.policy - do not edit */"; print "#include <stddef.h>"; print "const char *const rp_policy_seed[] = {" }
/^[a-z_0-9]+/ { printf "\t\"%s\",\n", $1 }
END { print "\tNULL\n};" }
