#!/usr/bin/env python3
"""Writes the starting corpora (fuzz/corpus/<target>/) from inputs the test suites use: configs of the
README and src/config.rs, params of src/api/tests and tests/it, answers and channel events of
v2im-wire's tests, request bodies of server/tests/it. Run it again after changing it; file names
are the content's hash, so unchanged inputs stay as they are.

    python3 fuzz/make_corpus.py
"""

import base64
import hashlib
import hmac
import json
import os
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def j(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- client_config ------------------------------------------------------------------------------
BASE = {"sdkAppID": 1400000000, "userID": "alice", "userSig": "s"}
CONFIGS = [
    BASE,
    {"sdkAppID": 1400000000, "userID": "u1", "secretKey": "k", "identifier": "admin",
     "serverUrl": "http://127.0.0.1:9/"},
    dict(BASE, serverUrl="http://127.0.0.1:8080", uploadUrl="http://127.0.0.1:8080/files",
         requestTimeoutMs=5000, maxRetries=3, maxQueueLength=1000, senderThreads=4,
         logLevel="debug", receive=True, resumePendingOnStart=False, **{"@extra": {"n": 1}}),
    dict(BASE, serverUrl=None, logLevel=None, dataDir=None, maxRetries=None),
    dict(BASE, serverURL="http://x"),
    dict(BASE, requestTimeoutMs=-1),
    dict(BASE, caFile="/nonexistent/ca.pem"),
    dict(BASE, logLevel="loud"),
    {"userID": "u", "userSig": "s"},
]
for c in CONFIGS:
    write("client_config", j(c))

# --- client_params and client_answers -----------------------------------------------------------
TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}]
ALL_ELEMS = TEXT + [
    {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 1.5, "Longitude": -2.5}},
    {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "f"}},
    {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "da", "Desc": "de", "Ext": "e", "Sound": "s"}},
    {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "u", "UUID": "id", "Size": 4, "Second": 5,
                                               "Download_Flag": 2}},
    {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "img", "ImageFormat": 1, "ImageInfoArray": [
        {"Type": 1, "Size": 6, "Width": 7, "Height": 8, "URL": "iu"}]}},
    {"MsgType": "TIMFileElem", "MsgContent": {"Url": "fu", "UUID": "fid", "FileSize": 9,
                                              "FileName": "n.txt", "Download_Flag": 2}},
    {"MsgType": "TIMVideoFileElem", "MsgContent": {
        "VideoUrl": "vu", "VideoUUID": "vid", "VideoSize": 10, "VideoSecond": 11, "VideoFormat": "mp4",
        "VideoDownloadFlag": 2, "ThumbUrl": "tu", "ThumbUUID": "tid", "ThumbSize": 12, "ThumbWidth": 13,
        "ThumbHeight": 14, "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}},
    {"MsgType": "TIMRelayElem", "MsgContent": {
        "Title": "ti", "MsgNum": 1, "CompatibleText": "ct", "AbstractList": ["ab"], "MsgList": [
            {"From_Account": "a", "To_Account": "b", "GroupId": "g", "MsgSeq": 1, "MsgRandom": 2,
             "MsgTimeStamp": 3, "MsgBody": TEXT, "CloudCustomData": "c"}]}},
]
OK = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
ROAM = {"From_Account": "bob", "To_Account": "alice", "MsgSeq": 1, "MsgRandom": 2,
        "MsgTimeStamp": 3, "MsgFlagBits": 0, "IsPeerRead": 1, "MsgKey": "1_2_3", "MsgBody": ALL_ELEMS,
        "CloudCustomData": "c", "SupportMessageExtension": 1, "IsNeedReadReceipt": 1,
        "OfflinePushInfo": {"PushFlag": 1}, "SendMsgControl": ["NoUnread"]}
GROUP_MSG = {"From_Account": "bob", "IsPlaceMsg": 0, "MsgBody": ALL_ELEMS, "MsgPriority": 2,
             "MsgRandom": 3, "MsgSeq": 4, "MsgTimeStamp": 5, "IsSystemMsg": 0,
             "CloudCustomData": "c", "NeedReadReceipt": 1}
SESSIONS = [
    {"Type": 1, "To_Account": "bob", "MsgTime": 7, "TopFlag": 0, "UnreadMsgNum": 1,
     "C2cLastMsg": ROAM},
    {"Type": 2, "GroupId": "g", "MsgTime": 7, "TopFlag": 1, "UnreadMsgNum": 2,
     "GroupLastMsg": GROUP_MSG},
]


def call(method, params=None):
    return f"> {method}" + ("" if params is None else " " + j(params))


def answer(body, status=None):
    return "< " + ("" if status is None else f"{status} ") + j(body)


SCRIPTS = [
    [call("createTextMessage", {"text": "hi"}),
     call("sendMessage", {"id": "$1", "receiver": "bob"}),
     answer(dict(OK, MsgTime=5, MsgKey="1_2_5"))],
    [call("createTextMessage", {"text": "héllo 🌍", "@extra": "e1"}),
     call("sendMessage", {"id": "$1", "groupID": "g", "priority": "HIGH", "needReadReceipt": True,
                          "offlinePushInfo": {"title": "t", "desc": "d"}, "cloudCustomData": "c"}),
     answer(dict(OK, MsgTime=1, MsgSeq=2, MsgDropReason=""))],
    [call("createCustomMessage", {"data": "x", "desc": "d", "extension": "e"}),
     call("createLocationMessage", {"desc": "here", "longitude": 120.5, "latitude": 30.25}),
     call("createFaceMessage", {"index": 1, "data": "f"}),
     call("createTextAtMessage", {"text": "@bob", "atUserList": ["bob"]}),
     call("createAtSignedGroupMessage", {"id": "$1", "atUserList": ["bob"]}),
     call("createTargetedGroupMessage", {"id": "$1", "receiverList": ["bob"]}),
     call("findMessages", {"messageIDList": ["$1", "$2", "$3"]}),
     call("setLocalCustomData", {"msgID": "$2", "localCustomData": "l"})],
    [call("createTextMessage", {"text": "a"}),
     call("createTextMessage", {"text": "b"}),
     call("createMergerMessage", {"msgIDList": ["$1", "$2"], "title": "t", "abstractList": ["a"],
                                  "compatibleText": "c"}),
     call("createForwardMessage", {"msgID": "$1"}),
     call("sendMessage", {"id": "$3", "receiver": "bob", "isExcludedFromUnreadCount": True}),
     answer(dict(OK, MsgTime=5, MsgKey="1_2_5")),
     call("sendMessage", {"id": "$3", "receiver": "carol"}),
     answer({"ActionStatus": "FAIL", "ErrorCode": 20003, "ErrorInfo": "no such account"})],
    [call("createImageMessage", {"imagePath": "$png", "imageName": "a.png"}),
     call("sendMessage", {"id": "$1", "receiver": "bob"}),
     answer({"ErrorCode": 0, "Url": "http://127.0.0.1:9/files/u/a.png", "ImageFormat": 3,
             "Renditions": [{"Type": 1, "Url": "http://127.0.0.1:9/files/u/a.png", "Width": 1,
                             "Height": 1, "Size": 67},
                            {"Type": 3, "Url": "http://127.0.0.1:9/files/u/a.png?rendition=thumb",
                             "Width": 1, "Height": 1, "Size": 67}]}),
     answer(dict(OK, MsgTime=5, MsgKey="1_2_5"))],
    [call("createFileMessage", {"filePath": "$file", "fileName": "a.txt"}),
     call("createSoundMessage", {"soundPath": "$file", "duration": 3}),
     call("createVideoMessage", {"videoFilePath": "$file", "videoType": "mp4", "duration": 3,
                                 "snapshotPath": "$png"}),
     call("sendMessage", {"id": "$1", "receiver": "bob"}),
     answer({"ErrorCode": 110003, "ErrorInfo": "exists"}, 409),
     answer({"ErrorCode": 0, "Url": "http://127.0.0.1:9/files/u/a.txt"}),
     answer(dict(OK, MsgTime=5, MsgKey="1_2_5")),
     call("sendMessage", {"id": "$3", "groupID": "g"}),
     answer({"ErrorCode": 70001, "ErrorInfo": "sig"}, 401)],
    [call("createTextMessage", {"text": "x"}),
     call("sendMessage", {"id": "$1", "receiver": "bob", "priority": 3}),
     call("cancelSendMessage", {"id": "$1"})],
    [call("getC2CHistoryMessageList", {"userID": "bob", "count": 20}),
     answer(dict(OK, Complete=0, MsgCnt=1, LastMsgTime=3, LastMsgKey="1_2_3", MsgList=[ROAM])),
     answer(dict(OK, Complete=1, MsgCnt=1, LastMsgTime=2, LastMsgKey="0_2_2",
                 MsgList=[dict(ROAM, MsgKey="0_2_2", MsgTimeStamp=2, From_Account="alice",
                               To_Account="bob")])),
     call("getC2CHistoryMessageList", {"userID": "bob", "count": 1, "lastMsgID": "1_2_3"}),
     answer(dict(OK, Complete=1, MsgList=[]))],
    [call("getGroupHistoryMessageList", {"groupID": "g", "count": 30}),
     answer(dict(OK, GroupId="g", IsFinished=0, RspMsgList=[GROUP_MSG])),
     answer(dict(OK, GroupId="g", IsFinished=1, RspMsgList=[dict(GROUP_MSG, MsgSeq=3)])),
     call("sendMessageReadReceipts", {"messageIDList": ["4_3_5"]}),
     answer(OK),
     call("getGroupHistoryMessageList", {"groupID": "g", "count": 5, "lastMsgID": "4_3_5"}),
     answer({"ActionStatus": "FAIL", "ErrorCode": 10010, "ErrorInfo": "group gone"})],
    [call("getConversationList", {"nextSeq": "0", "count": 10}),
     answer(dict(OK, CompleteFlag=0, TimeStamp=2, StartIndex=3, TopTimeStamp=4, TopStartIndex=5,
                 SessionItem=SESSIONS)),
     call("getConversationList", {"nextSeq": "2_3_1", "count": 1}),
     answer(dict(OK, CompleteFlag=1, SessionItem=SESSIONS[1:]))],
    [call("getTotalUnreadMessageCount"),
     answer(dict(OK, AllC2CUnreadMsgNum=2,
                 C2CUnreadMsgNumList=[{"Peer_Account": "b", "C2CUnreadMsgNum": 2}])),
     answer(dict(OK, TotalCount=1, GroupIdList=[{"GroupId": "g", "SelfInfo": {"UnreadMsgNum": 3}}]))],
    [call("markC2CMessageAsRead", {"userID": "bob"}),
     answer(OK),
     call("markGroupMessageAsRead", {"groupID": "g"}),
     answer({"ActionStatus": "FAIL", "ErrorCode": 70500, "ErrorInfo": "busy"}, 500)],
    [call("createTextMessage", {"text": "r"}),
     call("sendMessage", {"id": "$1", "groupID": "g", "needReadReceipt": True}),
     answer(dict(OK, MsgTime=5, MsgSeq=7)),
     call("getMessageReadReceipts", {"messageIDList": ["$1"]}),
     answer(dict(OK, GroupMsgReceiptList=[{"MsgSeq": 7, "ReadNum": 1, "UnreadNum": 2,
                                           "ErrorCode": 0}]))],
    [call("findMessages", {"messageIDList": []}),
     call("createForwardMessage", {}),
     call("createImageMessage", {"imagePath": "/nonexistent.png"}),
     call("sendMessage", {"receiver": "bob"}),
     call("noSuchMethod", {"x": 1}),
     call("createTextMessage", {"txt": "typo"})],
]
for s in SCRIPTS:
    calls_only = "\n".join(line for line in s if line.startswith(">")) + "\n"
    write("client_params", calls_only)
    write("client_answers", "\n".join(s) + "\n")

# --- client_channel -----------------------------------------------------------------------------
EVENTS = [
    {"Event": "Hello", "Cursor": 3, "HeartbeatSecs": 15},
    {"Event": "C2cMsg", "Cursor": 4, "Msg": ROAM, "Nick": "Bob"},
    {"Event": "GroupMsg", "Cursor": 5, "GroupId": "g", "Msg": GROUP_MSG, "FaceUrl": "http://f"},
    {"Event": "C2cMsg", "OnlineOnlyFlag": 1,
     "Msg": {"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2,
             "MsgTimeStamp": 3, "MsgKey": "1_2_9", "MsgBody": TEXT}},
    {"Event": "C2cRead", "Cursor": 7, "Peer_Account": "bob", "MsgReadTime": 1700000000},
    {"Event": "C2cReceipt", "Cursor": 10, "Peer_Account": "bob", "MsgKeyList": ["1_2_3"],
     "MsgReadTime": 6},
    {"Event": "GroupReceipt", "Cursor": 11, "GroupId": "g", "MsgSeq": 3, "MsgRandom": 4,
     "MsgTimeStamp": 5, "ReadNum": 1, "UnreadNum": 2},
    {"Event": "ReadMark", "Cursor": 12, "Type": 2, "GroupId": "g", "MsgReadTime": 7, "MsgSeq": 4},
    {"Event": "Conversation", "Item": SESSIONS[0], "AllUnreadMsgNum": 3},
    {"Event": "Ping"},
    {"Event": "Typing", "Who": "x"},
]
write("client_channel", "\n".join(j(e) for e in EVENTS) + "\n")
write("client_channel", j(EVENTS[0]) + "\n" + j(EVENTS[1]) + "\n" + j(EVENTS[1]) + "\n")
lines = (j(EVENTS[0]) + "\n" + j(EVENTS[4]) + "\n").encode()
chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (lines[:10], lines[10:]))
write("client_channel", b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
      b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\nTrailer: x\r\n\r\n")
refusal = j({"ActionStatus": "FAIL", "ErrorCode": 70001, "ErrorInfo": "sig expired"}).encode()
write("client_channel", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      b"Content-Length: %d\r\n\r\n%s" % (len(refusal), refusal))
write("client_channel", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

# --- server_request -----------------------------------------------------------------------------
# The first byte: command index (ENDPOINTS' order in server/src/handlers/mod.rs) * 2, + 1 for a
# plain account instead of the admin.
COMMANDS = ["account_import", "multiaccount_import", "account_check", "sendmsg", "batchsendmsg",
            "admin_getroammsg", "get_c2c_unread_msg_num", "admin_set_msg_read",
            "c2c_msg_read_receipt", "recentcontact_get_list", "create_group", "add_group_member",
            "get_group_info", "destroy_group", "send_group_msg", "group_msg_get_simple",
            "set_unread_msg_num", "group_msg_receipt", "get_group_msg_receipt",
            "get_group_msg_receipt_detail", "get_joined_group_list"]
SEND = {"SyncOtherMachine": 1, "From_Account": "alice", "To_Account": "bob", "MsgLifeTime": 60,
        "MsgSeq": 1, "MsgRandom": 1, "MsgBody": ALL_ELEMS, "CloudCustomData": "c",
        "OfflinePushInfo": {"PushFlag": 0, "Title": "t", "Desc": "d",
                            "ApnsInfo": {"Badge": 1}, "AndroidInfo": {"Sound": "s"}},
        "SendMsgControl": ["NoUnread"], "IsNeedReadReceipt": 1}
BODIES = {
    "account_import": [{"UserID": "carol", "Nick": "c", "FaceUrl": "http://f"}, {"UserId": "carol"}],
    "multiaccount_import": [{"Accounts": ["a", "b"]}],
    "account_check": [{"CheckItem": [{"UserID": "bob"}]}, {"CheckItem": [{"UserID": "bob", "Extra": 1}]}],
    "sendmsg": [SEND, {"To_Account": 5}, {"From_Account": "alice", "MsgRandom": 1, "MsgBody": TEXT},
                dict(SEND, MsgRandm=2)],
    "batchsendmsg": [dict(SEND, To_Account=["bob", "carol"])],
    "admin_getroammsg": [{"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 10,
                          "MinTime": 1, "MaxTime": 2, "LastMsgKey": "k"}],
    "get_c2c_unread_msg_num": [{"To_Account": "alice", "Peer_Account": ["b"]}],
    "admin_set_msg_read": [{"Report_Account": "alice", "Peer_Account": "b", "MsgReadTime": 9}],
    "c2c_msg_read_receipt": [{"Operator_Account": "alice", "Peer_Account": "bob", "C2CMsgInfo": [
        {"From_Account": "bob", "To_Account": "alice", "MsgKey": "1_2_3"}]}],
    "recentcontact_get_list": [{"From_Account": "alice", "TimeStamp": 1, "StartIndex": 2,
                                "TopTimeStamp": 3, "TopStartIndex": 4, "AssistFlags": 5}],
    "create_group": [{"Type": "Public", "Name": "n", "Owner_Account": "alice",
                      "MemberList": [{"Member_Account": "bob", "Role": "Admin"}]},
                     {"Type": "Public", "Name": "n", "MemberList": [{"Member_Account": "bob", "Rol": "Admin"}]}],
    "add_group_member": [{"GroupId": "g", "MemberList": [{"Member_Account": "bob"}], "Silence": 1}],
    "get_group_info": [{"GroupIdList": ["g"]}],
    "destroy_group": [{"GroupId": "g"}],
    "send_group_msg": [{"GroupId": "g", "Random": 1, "MsgPriority": "High", "MsgBody": ALL_ELEMS,
                        "From_Account": "alice", "OnlineOnlyFlag": 0, "SendMsgControl": ["NoUnread"],
                        "CloudCustomData": "c", "To_Account": ["b"], "TopicId": "tp",
                        "GroupAtInfo": [{"GroupAtAllFlag": 0, "GroupAt_Account": "b"}],
                        "NeedReadReceipt": 1}],
    "group_msg_get_simple": [{"GroupId": "g", "ReqMsgNumber": 20, "ReqMsgSeq": 10},
                             {"GroupId": "g", "ReqMsgNumber": 1, "ReqMsgSeqs": 1}],
    "set_unread_msg_num": [{"GroupId": "g", "Member_Account": "alice", "UnreadMsgNum": 0}],
    "group_msg_receipt": [{"GroupId": "g", "From_Account": "alice", "MsgSeqList": [{"MsgSeq": 1}]}],
    "get_group_msg_receipt": [{"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}]}],
    "get_group_msg_receipt_detail": [{"GroupId": "g", "MsgSeq": 1, "Num": 10, "Cursor": ""}],
    "get_joined_group_list": [{"Member_Account": "alice", "Limit": 10, "Offset": 0,
                               "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}}],
}
for i, name in enumerate(COMMANDS):
    for body in BODIES[name]:
        for who in (0, 1):
            write("server_request", bytes([i * 2 + who]) + j(body).encode())
write("server_request", b"\x06[]")
write("server_request", b"\x06  ")

# --- server_query -------------------------------------------------------------------------------
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


def usersig(identifier, sdkappid=1400000000, time=1700000000, expire=86400, key=KEY):
    content = (f"TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\n"
               f"TLS.time:{time}\nTLS.expire:{expire}\n")
    sig = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
    doc = {"TLS.ver": "2.0", "TLS.identifier": identifier, "TLS.sdkappid": sdkappid,
           "TLS.expire": expire, "TLS.time": time, "TLS.sig": sig.decode()}
    z = base64.b64encode(zlib.compress(j(doc).encode())).decode()
    return z.replace("+", "*").replace("/", "-").replace("=", "_")


for ident in ("administrator", "alice"):
    sig = usersig(ident)
    write("server_query", f"sdkappid=1400000000&identifier={ident}&usersig={sig}&random=1"
                          f"&contenttype=json")
    write("server_query", f"sdkappid=1400000000&identifier={ident}&usersig={sig}&userID=alice"
                          f"&cursor=5&poll=1")
write("server_query", "sdkappid=1400000000&identifier=alice&usersig=" + usersig("alice", expire=-1))
write("server_query", "sdkappid=1400000000&identifier=alice&usersig=" + usersig("alice", key="k"))
write("server_query", "usersig=ab%2Acd*e-f_&identifier=user_%E4%B8%AD&sdkappid=14&random=x")
write("server_query", usersig("alice"))

# --- file_paths ---------------------------------------------------------------------------------
for p in ["/files/0123456789abcdef0123456789abcdef/photo.jpg", "/files/u/a%20b.png",
          "/files/u/..", "/files/../x", "/files/u/.thumb", "/files/u/a%2Fb", "/files/u/a%00b",
          "/files/u-1_2/%E7%85%A7%E7%89%87.png", "photo 1.jpg", "../../etc/passwd", "c:\\x\\y.png",
          "...", "照片.png"]:
    write("file_paths", p)
