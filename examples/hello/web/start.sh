#!/bin/sh
# Renders the greeting and the migration record into the page, then serves it.
set -e
sed "s|{{GREETING}}|${GREETING}|" /www/index.html > /tmp/index.html
cp /tmp/index.html /www/index.html
cp /data/migrations.txt /www/migrations.txt 2>/dev/null || echo "no migrations" > /www/migrations.txt
exec httpd -f -p 8080 -h /www
