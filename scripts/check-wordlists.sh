#!/bin/sh
# check-wordlists.sh re-checks the drafted word lists of the suggested
# secret (api/i18n/words_<code>.txt) with Debian's spelling dictionaries
# and prints every word a dictionary does not know (none, when the lists
# are as committed). Not part of the tests: it needs the packages hunspell,
# hunspell-es, hunspell-ro, hunspell-tr, hunspell-uk, hunspell-ar and
# aspell-fa (Debian has no hunspell dictionary for Persian or Dari).
set -eu
cd "$(dirname "$0")/../api/i18n"
status=0
check() { # list, command
	unknown=$($2 <"words_$1.txt")
	echo "$1: $(wc -l <"words_$1.txt") words, $(printf '%s' "$unknown" | grep -c . || true) unknown to $2"
	if [ -n "$unknown" ]; then
		printf '%s\n' "$unknown" | sed 's/^/  /'
		status=1
	fi
}
check es "hunspell -l -d es_ES"
check ro "hunspell -l -d ro_RO"
check tr "hunspell -l -d tr_TR"
check uk "hunspell -l -d uk_UA"
check ar "hunspell -l -d ar"
check fa-AF "aspell --lang=fa --encoding=utf-8 list"
exit $status
