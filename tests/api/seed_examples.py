"""The JSON examples of ``seeds/asset-processing-api.md``, verbatim, in the order of the page.

Kept byte for byte (trailing spaces and blank lines included); ``test_seed_examples`` checks them
against the page when it is beside the checkout.
"""

SEED_PAGE = "asset-processing-api.md"

# POST /assets/process, "Request Example" (valid JSON, loosely laid out).
START_REQUEST = (
    "{ \n"
    "\n"
    '    "path": \n'
    "\n"
    '        "/content/dam/status-fetch1",         \n'
    "\n"
    '    "excludedPaths": \n'
    "    \n"
    "    [ \n"
    "\n"
    '        "content/dam/status-fetch1/excluded-folder" \n'
    "\n"
    "    ],\n"
    "\n"
    '    "type": "ASSET_PROCESSING"\n'
    "\n"
    "    \n"
    "} \n"
)

# POST /assets/process, "Response values" (a trailing comma: not valid JSON).
START_RESPONSE = '{ \n\n  "processingId": "akjhdfalkj1132", \n\n \n} \n'

# GET .../status, shown as its "Request Example" but it is the response.
STATUS_RESPONSE = (
    "{ \n"
    "\n"
    '  "processingId": "string",\n'
    "\n"
    '  "path": "string",\n'
    "\n"
    '  "excludedPaths": ["string"],\n'
    "\n"
    '  "status": "WAITING",\n'
    "\n"
    '  "triggeredCount": 0,\n'
    "\n"
    '  "startedAt": 0,\n'
    "\n"
    '  "completedAt": 0,\n'
    "\n"
    '  "hasLogs": true,\n'
    "\n"
    '  "createdBy": "string",\n'
    "  \n"
    '  "type": "ASSET_PROCESSING",\n'
    "\n"
    '  "migrationSet": { "totalFiles": 0, "calculationStatus":   \n'
    '  "WAITING" },\n'
    "\n"
    '  "eta": { "value": 0, "unit": "string" },\n'
    "\n"
    '  "comments": "string",\n'
    "\n"
    '  "restartable": true,\n'
    "\n"
    '  "resumable": true,\n'
    "\n"
    '  "cancellable": true\n'
    "\n"
    "\n"
    "    \n"
    "} \n"
)

# GET .../logs, shown as its "Request Example" but it is the response.
LOGS_RESPONSE = (
    "{ \n"
    "\n"
    '  "lines": [\n'
    "\n"
    '"string"\n'
    "\n"
    "],\n"
    "\n"
    '"limit": 0,\n'
    "\n"
    '"offset": 0,\n'
    "\n"
    '"hasMore": true\n'
    "    \n"
    "} \n"
)

# GET .../logs/download, its "Request Example" (we answer with the ZIP itself).
DOWNLOAD_EXAMPLE = '{ \n\n"logFilePaths": [\n\n"string"\n\n]\n    \n} \n'

# GET .../history, its "Request Example" (the response).
HISTORY_RESPONSE = (
    "{ \n"
    "\n"
    '  "executionHistory": [\n'
    "\n"
    "{\n"
    "\n"
    '"processingId": "165f1de6-68c4-4dcd-9223-2b7242b62306",\n'
    "\n"
    '"path": "/content/dam/22858",\n'
    "\n"
    '"status": "SUCCESS",\n'
    "\n"
    '"triggeredCount": 6,\n'
    "\n"
    '"startedAt": 1761291362776,\n'
    "\n"
    '"completedAt": 1761291364026,\n'
    "\n"
    '"hasLogs": true,\n'
    "\n"
    '"createdBy": "user",\n'
    "\n"
    '"type": "ASSET_PROCESSING",\n'
    "\n"
    '"migrationSet": {\n'
    "\n"
    '"totalFiles": 6,\n'
    "\n"
    '"calculationStatus": "SUCCESS"\n'
    "\n"
    "},\n"
    "\n"
    '"eta": {\n'
    "\n"
    '"value": 0,\n'
    "\n"
    '"unit": "SECONDS"\n'
    "\n"
    "},\n"
    "\n"
    '"comments": "",\n'
    "\n"
    '"filter": {\n'
    "\n"
    '"fileTypes": [],\n'
    "\n"
    '"filterProcessedAssets": false\n'
    "\n"
    "},\n"
    "\n"
    '"cancellable": false,\n'
    "\n"
    '"resumable": false,\n'
    "\n"
    '"restartable": true\n'
    "\n"
    "}\n"
    "\n"
    "]\n"
    "    \n"
    "} \n"
)

EXAMPLES = [
    START_REQUEST,
    START_RESPONSE,
    STATUS_RESPONSE,
    LOGS_RESPONSE,
    DOWNLOAD_EXAMPLE,
    HISTORY_RESPONSE,
]
