#!/usr/bin/env bash
# What the outbox's per-row writes cost MariaDB, with and without the levers named in
# bench/README.md: dropping the claim-stamp write, the three status-led secondary indexes
# migration 20261207003000 dropped, and (last two variants) the columns migration 20261207150000
# made fixed-width (status ENUM, no NULL in the claim, stamps and log position), so every update
# keeps the row's size. 40,000 rows, the relay's and consumer's updates in 1,000-row
# batches, one variant at a time on a fresh table of 50,000 rows. Prints wall time per variant
# (mariadbd CPU too, but that includes background flushing left over from the seeding insert).
# Usage: bash bench/experiments/outbox-update-cost.sh   (MariaDB as root on 127.0.0.1:3306)
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=agent_relay_bench_update_cost
M=(mariadb -uroot -h127.0.0.1)
PID=$(pgrep -x mariadbd | head -1 || true)
cpu_ms() { if [ -n "$PID" ]; then awk '{print ($14+$15)*10}' "/proc/$PID/stat"; else echo 0; fi; }
# The table as the initial migration creates it, without its indexes (each variant adds its own),
# and the log position columns of migration 20261206183000.
# (The statement may sit on the addSql line or, wrapped by Prettier, on its own line.)
CREATE=$(grep -m1 'create table \\`outbox_messages\\`' src/infra/db/migrations/*-initial.migration.ts | sed 's/.*addSql(`//; s/^ *`//; s/`);$//; s/`,$//; s/\\`/`/g')
COMMON='add kafka_partition int null, add kafka_offset bigint null, add index outbox_claim_idx(status,id), add index outbox_aggregate_status_seq_idx(aggregate_id,status,aggregate_seq), add unique outbox_event_id_uq(event_id)'
setup() {
  "${M[@]}" -e "drop database if exists $DB; create database $DB"
  "${M[@]}" "$DB" -e "$CREATE; alter table outbox_messages $COMMON $1;
    insert into outbox_messages (event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, max_attempts, next_attempt_at, created_at)
    select uuid(), concat('conv-', lpad(seq mod 1000, 31, '0')), seq div 1000, 'chat', 't', json_object('c', repeat('x', 300)), '{}', 'PENDING', 10, now(3), now(3) from seq_1_to_50000;"
}
# Migration 20261207150000's column types; the updates then write its "none" values instead of NULL.
FIXED=", modify status enum('PENDING','PUBLISHED','CONSUMED','DEAD','DISCARDED') not null, modify claim_owner char(100) not null default '', modify claim_token char(36) not null default '', modify claim_expires_at datetime(3) not null default '1970-01-01', modify published_at datetime(3) not null default '1970-01-01', modify consumed_at datetime(3) not null default '1970-01-01', modify kafka_partition int not null default -1, modify kafka_offset bigint not null default -1"
run() {
  local stamp=$1 label=$2 none=${3:-null} never=${3:+"'1970-01-01'"} c0 t0
  c0=$(cpu_ms); t0=$(date +%s%N)
  for k in $(seq 1 40); do
    lo=$((k * 1000)); hi=$((lo + 999))
    [ "$stamp" = 1 ] && echo "update outbox_messages set claim_owner='x', claim_token=uuid(), claim_expires_at=now(3) where id between $lo and $hi and status='PENDING';"
    echo "update outbox_messages set status='PUBLISHED', published_at=now(3), kafka_partition=3, kafka_offset=$lo, claim_owner=$none, claim_token=$none, claim_expires_at=${never:-null} where id between $lo and $hi and status='PENDING';"
    echo "update outbox_messages set status='CONSUMED', consumed_at=now(3) where id between $lo and $hi and status in ('PENDING','PUBLISHED');"
  done | "${M[@]}" "$DB"
  echo "$label: wall $(( ($(date +%s%N) - t0) / 1000000 )) ms, mariadbd CPU $(( $(cpu_ms) - c0 )) ms (40,000 rows)"
}
trap '"${M[@]}" -e "drop database if exists $DB"' EXIT
BEFORE=', add index outbox_status_created_idx(status,created_at), add index outbox_status_consumed_idx(status,consumed_at), add index outbox_status_published_idx(status,published_at)'
setup "$BEFORE"; run 1 'before 20261207003000: five status-led indexes, claim stamp'
setup "$BEFORE"; run 0 'five status-led indexes, no claim stamp'
setup ''; run 1 'before 20261207150000: two status-led indexes (claim, conversation order), claim stamp, nullable stamps, varchar status'
setup ''; run 0 'two status-led indexes, no claim stamp'
setup "$FIXED"; run 1 "now: two status-led indexes, claim stamp, 20261207150000's fixed-width columns" "''"
