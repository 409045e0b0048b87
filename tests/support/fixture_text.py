"""A record as a fixture file writes it: valid, to be broken one field at a time."""

GOOD_RECORD = """
      - id: 5
        status: 1
        campaignId: c-1
        taskId: 7
        poolName: P-Distribution Pool
        poolType: 0
        folderId: 3
        aliceName: someone
        createdTime: '2025-04-01 10:00:00'
        actionType: 0
        instanceInfo: {}
        modifyInstanceNum: 0
        modifyAttributesNum: 0
        instanceSum: 0
        attributesSum: 0
"""
