#!/bin/sh
# demo.sh BUILD_DIR - `make demo`: the city node LY and the county node XA
# of topology.example, with keys made for this demo (`topology rekey`
# into demo/keys), serving their operators and units over CURVE.
#
#  1. LY replays the article's four cases through its store on a
#     simulated clock (2011-11-16, --demo);
#  2. then, live, over the network with linkctl: an operator of the city
#     records a missing manhole cover, Unicom's terminal signs for it and
#     completes it, the operator tells the citizen, calls back and closes;
#  3. the federation: Xin'an records a request the city then sees; the
#     city records one in Xin'an's area, handed down and accepted there;
#     Xin'an records one in the city's area, escalated and accepted by the
#     city; both nodes show the links;
#  4. both nodes keep serving until Ctrl-C (try the linkctl line printed).
set -eu
b=$1
d=demo
rm -rf "$d"
mkdir -p "$d"
# the example names its working-day calendar relative to itself
cp calendar.example "$d/"
"$b/topology" rekey topology.example --keys "$d/keys" --out "$d/topology.ini"

pids=""
stop() {
	trap - INT TERM EXIT
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	echo
	echo "demo: nodes stopped; their logs are in $d/LY.log and $d/XA.log"
}
trap stop INT TERM EXIT

"$b/city-node" --topology "$d/topology.ini" --id LY --key "$d/keys/LY.key" \
    --data "$d/LY" --demo >"$d/LY.out" 2>"$d/LY.log" &
pids="$!"
"$b/county-node" --topology "$d/topology.ini" --id XA --key "$d/keys/XA.key" \
    --data "$d/XA" 2>"$d/XA.log" &
pids="$pids $!"
for n in LY XA; do
	i=0
	until grep -q "ready;" "$d/$n.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "demo: node $n did not start:" >&2
			cat "$d/$n.log" >&2
			exit 1
		fi
		sleep 0.1
	done
done

echo "#### Part A. The article's cases, replayed by LY on a simulated clock (2011)"
cat "$d/LY.out"

ctl() {
	node=$1 who=$2
	shift 2
	echo "\$ linkctl --node $node --key $d/keys/$who.key $*"
	"$b/linkctl" --topology "$d/topology.ini" --node "$node" \
	    --key "$d/keys/$who.key" "$@"
}
# the ticket id out of a --json reply
ticket_id() {
	grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4
}

echo
echo "#### Part B. Live, over CURVE: a missing manhole cover on 王城大道"
ctl LY op-ly-wang call call=C-0101 phone=13903791234 valid=yes
id=$("$b/linkctl" --topology "$d/topology.ini" --node LY \
    --key "$d/keys/op-ly-wang.key" --json create caller=张女士 \
    phone=13903791234 place="王城大道与关林路交叉口西北50米" area=luolong \
    category=manhole.unicom urgency=3 text="人行道上联通井盖丢失，有行人险些掉入" |
    ticket_id)
echo "(created $id as op-ly-wang)"
ctl LY op-ly-wang show "$id"
ctl LY unit-unicom queue
ctl LY unit-unicom sign "$id" 1
ctl LY unit-unicom complete "$id" 1 result="已补装新井盖，并向110联动办反馈"
ctl LY op-ly-wang report "$id" note="已电话告知市民：井盖已补装" method=phone
ctl LY op-ly-wang callback "$id" method=phone satisfaction=satisfied
ctl LY op-ly-wang close "$id"
echo
echo "== A unit may not close a ticket, and sees only its own work orders"
ctl LY unit-water close "$id" || true
ctl LY unit-water show "$id" || true
# until the other node has the ticket (replication takes a moment)
seen() {
	node=$1 who=$2 id=$3 i=0
	until "$b/linkctl" --topology "$d/topology.ini" --node "$node" \
	    --key "$d/keys/$who.key" --json show "$id" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "demo: $id never reached $node" >&2; exit 1; }
		sleep 0.1
	done
}
create_json() {
	node=$1 who=$2
	shift 2
	"$b/linkctl" --topology "$d/topology.ini" --node "$node" \
	    --key "$d/keys/$who.key" --json create "$@" | ticket_id
}

echo
echo "#### Part C. Federation: Xin'an records a water cut at its own node; the city sees it"
xa=$(create_json XA op-xa-zhao phone=13703790001 place="新安县城关镇" \
    area=xinan category=water.cut urgency=2 text="小区停水一天，无人通知")
echo "(created $xa at XA)"
seen LY op-ly-wang "$xa"
ctl LY op-ly-wang show "$xa"

echo
echo "== Handed down: the city records a request in Xin'an's area"
hd=$(create_json LY op-ly-li phone=13903790002 place="新安县铁门镇" \
    area=xinan category=road urgency=3 text="县道路面塌陷")
echo "(created $hd at LY: handed down to XA, waiting for its answer)"
seen XA op-xa-zhao "$hd"
ctl XA op-xa-zhao transfer.accept ticket="$hd" note="新安县联动办接收"
sleep 0.5
ctl LY op-ly-li show "$hd"

echo
echo "== Escalated: Xin'an records a request in the city's area"
up=$(create_json XA op-xa-chen phone=13703790003 place="洛龙区开元大道" \
    area=luolong category=streetlight urgency=4 text="路灯成片不亮")
echo "(created $up at XA: escalated to LY, waiting for its answer)"
seen LY op-ly-wang "$up"
ctl LY op-ly-wang transfer.accept ticket="$up"
sleep 0.5
ctl XA op-xa-chen show "$up"

echo
echo "== The links, from both sides"
ctl LY admin-ly-liu status
ctl XA admin-xa-sun status
ctl LY op-ly-wang figures

echo
echo "#### Part D. The monthly assessment (考核): November 2011, the article's cases of Part A"
ctl LY op-ly-wang report month 2011-11
ctl LY op-ly-wang report month 2011-11 --html > "$d/report-2011-11.html"
echo "(the same as a page to publish, with its charts: $d/report-2011-11.html)"

echo
echo "demo: LY and XA are serving; try, in another terminal:"
echo "  $b/linkctl --topology $d/topology.ini --node LY --key $d/keys/op-ly-wang.key list"
echo "Ctrl-C stops both nodes."
wait
