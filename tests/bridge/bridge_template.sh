#!/bin/sh
# bridge/template.yaml: cfn-lint when it is installed, and always the
# structural checks of tests/bridge/bridge_template.py (the template is written as
# JSON, which is YAML, so no YAML parser is needed).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

[ "$PYTHON3" != no ] || skip "python3 not found"
TEMPLATE="$top_srcdir/bridge/template.yaml"
if command -v cfn-lint >/dev/null 2>&1; then
	check "cfn-lint finds nothing in bridge/template.yaml" cfn-lint "$TEMPLATE"
else
	echo "# cfn-lint not installed: structural checks only"
fi
check "structural checks of bridge/template.yaml" \
	"$PYTHON3" "$top_srcdir/tests/bridge/bridge_template.py" "$TEMPLATE" "$top_srcdir/bridge/lib/config.js"
finish
