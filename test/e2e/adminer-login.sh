#!/usr/bin/env bash
# Logs in to Adminer the way a browser does and runs one SQL query through it; used by the e2e
# tests and test/images/smoke.sh. The password comes on standard input (exactly, no newline added).
# Usage: adminer-login.sh URL SERVER USER DB QUERY <password
# Prints the login form's prefilled server ("server=..."), then either "result=<first cell>"
# or "error=<Adminer's error message>". Needs curl.
set -euo pipefail
url=${1:?usage: adminer-login.sh URL SERVER USER DB QUERY <password}
server=$2 user=$3 db=$4 query=$5
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
c() { curl -sS --max-time 20 -c "$jar" -b "$jar" "$@"; }
html_decode() { sed -e 's/&quot;/"/g' -e "s/&#039;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'; }
# Adminer's error box on a page (a refused login, a failed query) ends the run.
fail_on_error() {
  local err
  if err=$(grep -o "class='error'>[^<]*" <<<"$1"); then
    printf 'error=%s\n' "${err#class=\'error\'>}" | head -n1 | html_decode
    exit 0
  fi
}

# The login page sets the session cookie (a login without it is refused as an expired session).
form=$(c "$url/")
printf 'server=%s\n' "$(grep -o 'name="auth\[server\]" value="[^"]*"' <<<"$form" | sed 's/.*value="//; s/"$//' | html_decode)"
c -o /dev/null --data-urlencode 'auth[driver]=pgsql' --data-urlencode "auth[server]=$server" \
  --data-urlencode "auth[username]=$user" --data-urlencode 'auth[password]@-' --data-urlencode "auth[db]=$db" "$url/"
# The database's page: Adminer redirects it to the default schema (…&ns=public), where the SQL
# command page is.
db_page=$(c -L -w '\n%{url_effective}' "$url/?pgsql=$server&username=$user&db=$db")
fail_on_error "$db_page"
sql_url="$(tail -n1 <<<"$db_page")&sql="
sql=$(c "$sql_url")
fail_on_error "$sql"
token=$(grep -o "name='token' value='[^']*'" <<<"$sql" | head -n1 | cut -d"'" -f4)
out=$(c --data-urlencode "query=$query" --data-urlencode "token=$token" --data-urlencode 'limit=' "$sql_url")
fail_on_error "$out"
# The result table: the first data cell of the first row.
printf 'result=%s\n' "$(grep -o '<tr><td>[^<]*' <<<"$out" | head -n1 | sed 's/^<tr><td>//' | html_decode)"
