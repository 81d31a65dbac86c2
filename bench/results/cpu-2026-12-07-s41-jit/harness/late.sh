#!/bin/bash
# late.sh FILE.jfr SKIP_SECONDS: allocation samples after the first SKIP seconds, by top two dendrite frames
jfr print --events jdk.ObjectAllocationSample --stack-depth 14 "$1" | awk -v skip="$2" '
/startTime = /{split($3,p,":"); t=p[1]*3600+p[2]*60+p[3]; if (t0=="") t0=t}
/line:/{ if ($0 ~ /dev\.dendrite/) {n++; if (n==1) f=$1"@"$NF; if (n==2) g=$1} }
/^}/{ if (f!="" && t-t0 >= skip) c[f" <- "g]++; f=""; g=""; n=0}
END{for(k in c) print c[k], k}' | sort -rn | head -${3:-10}
