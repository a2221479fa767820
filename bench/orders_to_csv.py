#!/usr/bin/env python3
"""Flatten Oneserve order requests (NDJSON on stdin) into a CSV of activity
lines (stdout): one row per activity, the request's columns repeated on each
row, the columns that mappings/oneserve-spectrum/order.yaml `input.csv`
reads. With --shuffle the rows come out of order (deterministically), to
show that grouping does not need sorted input."""
import csv
import json
import random
import sys

COLUMNS = ["order_request_id", "requested_at", "requested_by_user", "requested_by_user_type",
           "job_ref", "job_version", "job_status", "job_priority", "job_client", "job_description",
           "job_target_date", "site_ref", "site_address1", "site_address2", "site_city", "site_state",
           "site_postcode", "contact_ref", "contact_name", "contact_phone", "activity_id", "sor_code",
           "description", "unit_cost", "quantity", "completed_quantity", "uom", "team_id", "team_name",
           "team_type", "status_id", "status_name", "status_default", "status_allow_edit",
           "order_reference", "order_status", "order_quantity", "note"]


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def rows(req):
    job, site, contact = req["job"], req["job"]["site"], req["job"]["contact"]
    for a in req["activities"]:
        team, status, order = a.get("team") or {}, a["status"], a.get("order") or {}
        yield [req["order_request_id"], req["requested_at"], req["requested_by"]["user"],
               req["requested_by"]["user_type"], job["ref"], job["version"], job["status"], job["priority"],
               job["client"], job["description"], job["target_date"], site["ref"], site["address1"],
               site["address2"], site["city"], site["state"], site["postcode"], contact["ref"],
               contact["name"], contact["phone"], a["id"], a["sor_code"], a["description"], a["unit_cost"],
               a["quantity"], a["completed_quantity"], a["uom"], team.get("id"), team.get("name"),
               team.get("type"), status["id"], status["name"], status["default"], status["allow_edit"],
               order.get("reference"), order.get("status"), order.get("quantity"), a["note"]]


def main():
    out = [list(map(text, r)) for line in sys.stdin if line.strip() for r in rows(json.loads(line))]
    if "--shuffle" in sys.argv:
        random.Random(7).shuffle(out)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(out)


if __name__ == "__main__":
    main()
