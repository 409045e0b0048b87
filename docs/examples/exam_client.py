"""A small client of GET /statistics/record, as examined in the README ("Examining your client").

    python docs/examples/exam_client.py BASE_URL ANNOTATION_REQUEST_ID

Reads every page (limit 100) until `count` is read, retries a 5000 with doubling gaps (at most
six requests per page), gives up at once on any other failure, and reports failure with exit
status 1. It never checks enum values, so values it does not know pass through.
"""

import sys
import time

import httpx

base_url, request_id = sys.argv[1], sys.argv[2]
records, offset = [], 1
while True:
    gap = 0.2
    for attempt in range(6):
        params = {"annotationRequestId": request_id, "offset": offset, "limit": 100}
        body = httpx.get(f"{base_url}/statistics/record", params=params, timeout=30).json()
        if body["code"] != 5000 or attempt == 5:
            break
        time.sleep(gap)
        gap *= 2
    if body["code"] != 2000:
        print(f"page {offset}: {body['code']} {body['message']}", file=sys.stderr)
        sys.exit(1)
    records += body["data"]["data"]
    if offset * 100 >= body["data"]["count"]:
        break
    offset += 1
print(f"read {len(records)} records")
