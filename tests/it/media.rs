//! Image, sound, video and file messages: create (with V2TIM's file checks), upload
//! on send with progress, read back from history; the bytes behind every URL are the file's.
//! Against a real v2im-server with a temporary files directory.

use crate::common::child::{self, ChildProc};
use crate::common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// The test that child processes run (`--exact`): see `child_process` below.
const HELPER: &str = "media::child_process";

/// The helper the memory measurement runs in a child process (a fresh process, so its peak RSS
/// is the upload's alone). In the normal test run it returns at once.
#[test]
fn child_process() {
    if child::role().as_deref() == Some("upload20") {
        upload_child();
    }
}

fn media_server() -> TestServer {
    TestServer::start_with(|c| {
        c.files_dir = Some(c.db.with_file_name("files"));
    })
}

fn sha(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

fn fetch(url: &str) -> Vec<u8> {
    let mut out = Vec::new();
    ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_reader()
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn image_bytes(w: u32, h: u32, f: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, (x ^ y) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, f)
        .unwrap();
    out.into_inner()
}

fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Creates with `method` and asserts success: the create-id.
fn create(c: &TestClient, method: &str, params: Value) -> String {
    let d = c.call_wait(method, params.clone());
    assert_eq!(d.code, 0, "{method} {params}: {}", d.json);
    d.json["data"]["id"].as_str().unwrap().to_string()
}

/// The create's code (a local method: its callback has run when `v2im_call` returns).
fn create_code(c: &TestClient, method: &str, params: Value) -> (i32, String) {
    let d = c.call_wait(method, params);
    (d.code, d.json["desc"].as_str().unwrap_or("").to_string())
}

#[test]
fn each_media_type_end_to_end() {
    let s = media_server();
    let tmp = tempfile::tempdir().unwrap();
    let a = TestClient::new(&s.url, "alice");
    let events = Sink::new();
    a.listen(&events);

    let png = image_bytes(1600, 1000, image::ImageFormat::Png);
    let jpg = image_bytes(400, 300, image::ImageFormat::Jpeg);
    let sound = noise(150_000, 1);
    let video = noise(700_000, 2);
    let doc = noise(90_000, 3);
    let png_path = write(tmp.path(), "photo 1.png", &png);
    let jpg_path = write(tmp.path(), "snap.jpg", &jpg);
    let sound_path = write(tmp.path(), "voice.m4a", &sound);
    let video_path = write(tmp.path(), "clip.mp4", &video);
    let doc_path = write(tmp.path(), "doc.bin", &doc);

    let ids = [
        create(
            &a,
            "createImageMessage",
            json!({"imagePath": png_path, "imageName": "photo 1.png"}),
        ),
        create(
            &a,
            "createSoundMessage",
            json!({"soundPath": sound_path, "duration": 4}),
        ),
        create(
            &a,
            "createVideoMessage",
            json!({"videoFilePath": video_path, "type": "mp4", "duration": 9, "snapshotPath": jpg_path}),
        ),
        create(
            &a,
            "createFileMessage",
            json!({"filePath": doc_path, "fileName": "年报 2025.pdf"}),
        ),
    ];
    let mut sent = Vec::new();
    for id in &ids {
        let d = a.send(id, json!({"receiver": "bob"}));
        assert_eq!(d.code, 0, "{}", d.json);
        let m = &d.json["data"];
        assert_eq!(m["status"], 2);
        assert_eq!(m["progress"], 100);
        sent.push(m["msgID"].as_str().unwrap().to_string());
    }
    // Progress events: per message non-decreasing, ending at 100.
    let mut progress: std::collections::HashMap<String, Vec<i64>> = Default::default();
    while let Ok(e) = events.rx.recv_timeout(Duration::from_millis(300)) {
        if e.json["event"] == "onSendMessageProgress" {
            // Which message and how far, not the whole message each time.
            let data = e.json["data"].as_object().unwrap();
            let keys: Vec<&str> = data.keys().map(String::as_str).collect();
            assert_eq!(keys, ["id", "msgID", "progress"], "{}", e.json);
            let id = data["id"].as_str().unwrap().to_string();
            let p = data["progress"].as_i64().unwrap();
            // The server's msgID is known only once the message is sent (progress 100).
            assert_eq!(data["msgID"] == "", p < 100, "{}", e.json);
            progress.entry(id).or_default().push(p);
        }
    }
    for id in &ids {
        let p = &progress[id];
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{id}: {p:?}");
        assert_eq!(p.first(), Some(&0), "{id}: {p:?}");
        assert_eq!(p.last(), Some(&100), "{id}: {p:?}");
    }

    // The receiver reads them back: real media elements, the URLs give the files' bytes.
    let b = TestClient::new(&s.url, "bob");
    let h = b.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "alice", "count": 10}),
    );
    assert_eq!(h.code, 0, "{}", h.json);
    let list: Vec<Value> = h.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .cloned()
        .collect();
    assert_eq!(list.len(), 4);
    for (m, id) in list.iter().zip(&sent) {
        assert_eq!(m["msgID"], *id);
        assert_message_keys(m, "history media message");
    }

    let img = &list[0]["imageElem"];
    assert_eq!(list[0]["elemType"], 3);
    assert_eq!(img["imageFormat"], 3);
    let imgs = img["imageList"].as_array().unwrap();
    let kinds: Vec<(i64, u64, u64)> = imgs
        .iter()
        .map(|i| {
            (
                i["type"].as_i64().unwrap(),
                i["width"].as_u64().unwrap(),
                i["height"].as_u64().unwrap(),
            )
        })
        .collect();
    // origin, thumb (shorter side 198), large (shorter side 720)
    assert_eq!(kinds, [(0, 1600, 1000), (1, 317, 198), (2, 1152, 720)]);
    for i in imgs {
        let bytes = fetch(i["url"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, i["size"].as_u64().unwrap());
        let d = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            (d.width() as u64, d.height() as u64),
            (i["width"].as_u64().unwrap(), i["height"].as_u64().unwrap())
        );
        assert!(!i["uuid"].as_str().unwrap().is_empty());
    }
    assert_eq!(sha(&fetch(imgs[0]["url"].as_str().unwrap())), sha(&png));

    let snd = &list[1]["soundElem"];
    assert_eq!(list[1]["elemType"], 4);
    assert_eq!(
        (snd["dataSize"].as_u64(), snd["duration"].as_i64()),
        (Some(150_000), Some(4))
    );
    assert_eq!(sha(&fetch(snd["url"].as_str().unwrap())), sha(&sound));

    let vid = &list[2]["videoElem"];
    assert_eq!(list[2]["elemType"], 5);
    assert_eq!(vid["videoType"], "mp4");
    assert_eq!(vid["duration"], 9);
    assert_eq!(vid["videoSize"], 700_000);
    assert_eq!(
        (
            vid["snapshotWidth"].as_u64(),
            vid["snapshotHeight"].as_u64()
        ),
        (Some(400), Some(300))
    );
    assert_eq!(sha(&fetch(vid["videoUrl"].as_str().unwrap())), sha(&video));
    assert_eq!(sha(&fetch(vid["snapshotUrl"].as_str().unwrap())), sha(&jpg));
    assert_ne!(vid["UUID"], vid["snapshotUUID"]);

    let file = &list[3]["fileElem"];
    assert_eq!(list[3]["elemType"], 6);
    assert_eq!(file["fileName"], "年报 2025.pdf");
    assert_eq!(file["fileSize"], 90_000);
    assert_eq!(sha(&fetch(file["url"].as_str().unwrap())), sha(&doc));

    // The sender's copy has the same URLs plus its local paths.
    let mine = a.call_wait("findMessages", json!({"messageIDList": [ids[3]]}));
    assert_eq!(mine.json["data"][0]["fileElem"]["url"], file["url"]);
    assert_eq!(mine.json["data"][0]["fileElem"]["path"], doc_path);
}

#[test]
fn resend_and_same_file_upload_nothing_again() {
    let s = media_server();
    let tmp = tempfile::tempdir().unwrap();
    let bytes = noise(300_000, 9);
    let path = write(tmp.path(), "a.bin", &bytes);

    // A dead upload server: 6007, the message failed and may be sent again.
    let mut cfg = config(&s.url, "alice");
    cfg["uploadUrl"] = json!("http://127.0.0.1:1/files");
    let dead = TestClient::with_config(cfg);
    let id = create(
        &dead,
        "createFileMessage",
        json!({"filePath": path, "fileName": "a.bin"}),
    );
    for _ in 0..2 {
        let d = dead.send(&id, json!({"receiver": "bob"}));
        assert_eq!(d.code, 6007, "{}", d.json);
        assert_eq!(d.json["data"]["status"], 3);
    }
    // A sig the server refuses: 6006 (the upload comes first).
    let mut cfg = config(&s.url, "alice");
    cfg["userSig"] = json!("not-a-sig");
    cfg.as_object_mut().unwrap().remove("secretKey");
    let bad = TestClient::with_config(cfg);
    let id = create(
        &bad,
        "createFileMessage",
        json!({"filePath": path, "fileName": "a.bin"}),
    );
    let d = bad.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, 6006, "{}", d.json);

    // The server cannot store (its files dir is a plain file now): 6008, status 3; once it can
    // again, sending the same message again succeeds.
    let files = s.dir.path().join("files");
    std::fs::remove_dir_all(&files).unwrap();
    std::fs::write(&files, b"in the way").unwrap();
    let c = TestClient::new(&s.url, "alice");
    let id = create(
        &c,
        "createFileMessage",
        json!({"filePath": path, "fileName": "a.bin"}),
    );
    let d = c.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, 6008, "{}", d.json);
    assert_eq!(d.json["data"]["status"], 3);
    assert_eq!(d.json["data"]["fileElem"]["url"], "");
    std::fs::remove_file(&files).unwrap();
    std::fs::create_dir(&files).unwrap();
    let d = c.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, 0, "{}", d.json);
    assert_eq!(d.json["data"]["status"], 2);
    let url = d.json["data"]["fileElem"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sha(&fetch(&url)), sha(&bytes));
    drop(c);

    // Sent once; the stored files are then removed: a second message of the same bytes gets the
    // same URL without uploading (its URL now answers 404): progress follows the hashing (the
    // first half), then jumps to 99, nothing being uploaded.
    let a = TestClient::new(&s.url, "alice");
    let events = Sink::new();
    a.listen(&events);
    let first = create(
        &a,
        "createFileMessage",
        json!({"filePath": path, "fileName": "a.bin"}),
    );
    let d1 = a.send(&first, json!({"receiver": "bob"}));
    assert_eq!(d1.code, 0, "{}", d1.json);
    let url = d1.json["data"]["fileElem"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sha(&fetch(&url)), sha(&bytes));
    std::fs::remove_dir_all(s.dir.path().join("files")).unwrap();
    std::fs::create_dir_all(s.dir.path().join("files")).unwrap();
    while events.rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
    let second = create(
        &a,
        "createFileMessage",
        json!({"filePath": path, "fileName": "b.bin"}),
    );
    let d2 = a.send(&second, json!({"receiver": "bob"}));
    assert_eq!(d2.code, 0, "{}", d2.json);
    assert_eq!(d2.json["data"]["fileElem"]["url"], url.as_str());
    assert_eq!(d2.json["data"]["fileElem"]["fileName"], "b.bin");
    assert!(matches!(
        ureq::get(&url).call(),
        Err(ureq::Error::Status(404, _))
    ));
    let mut p = Vec::new();
    while let Ok(e) = events.rx.recv_timeout(Duration::from_millis(300)) {
        if e.json["event"] == "onSendMessageProgress" {
            p.push(e.json["data"]["progress"].as_i64().unwrap());
        }
    }
    let (hashing, end) = p.split_at(p.len() - 2);
    assert_eq!(end, [99, 100], "{p:?}");
    assert_eq!(hashing[0], 0, "{p:?}");
    assert!(hashing.len() >= 4, "300 kB hashed in a few steps: {p:?}");
    assert!(hashing.windows(2).all(|w| w[0] < w[1]), "{p:?}");
    assert_eq!(hashing.last(), Some(&49), "{p:?}");
}

/// A path for a file of `len` bytes that takes no disk (sparse).
fn sparse(dir: &Path, name: &str, len: u64) -> String {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().set_len(len).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn file_errors_get_their_codes_without_the_network() {
    // Nothing listens on TEST-NET-1: a connection attempt would hang until the 5 s timeout, so
    // an answer within a second shows no network was touched.
    let mut cfg = config("http://192.0.2.1:9", "alice");
    cfg["uploadUrl"] = json!("http://192.0.2.1:9/files");
    let c = TestClient::with_config(cfg);
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let png = write(t, "ok.png", &image_bytes(20, 10, image::ImageFormat::Png));
    let empty = write(t, "empty.png", b"");
    let text = write(t, "fake.png", b"this is text, not an image");
    let missing = t.join("missing.png").to_string_lossy().into_owned();
    // Unreadable: running as root, chmod 000 does not stop reads, so a directory stands in
    // (7007, "is a directory"); a FIFO is refused the same way without ever being opened
    // (opening one would block).
    let dir = t.to_string_lossy().into_owned();
    let fifo = t.join("fifo");
    let fifo_made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let big_image = sparse(t, "big.png", 28 * 1024 * 1024 + 1);
    let big_sound = sparse(t, "big.m4a", 28 * 1024 * 1024 + 1);
    let big_video = sparse(t, "big.mp4", 100 * 1024 * 1024 + 1);
    let big_file = sparse(t, "big.bin", 100 * 1024 * 1024 + 1);
    let ok_file = write(t, "f.bin", b"x");

    let img = |p: &str| json!({"imagePath": p});
    let snd = |p: &str| json!({"soundPath": p, "duration": 1});
    let vid = |v: &str, s: &str| json!({"videoFilePath": v, "type": "mp4", "duration": 1, "snapshotPath": s});
    let file = |p: &str| json!({"filePath": p, "fileName": "n"});
    let mut cases = vec![
        ("createImageMessage", img(&missing), 7004),
        ("createImageMessage", img(""), 7004),
        ("createImageMessage", img(&empty), 7006),
        ("createImageMessage", img(&big_image), 7005),
        ("createImageMessage", img(&text), 6031),
        ("createImageMessage", img(&dir), 7007),
        ("createSoundMessage", snd(&missing), 7004),
        ("createSoundMessage", snd(&empty), 7006),
        ("createSoundMessage", snd(&big_sound), 7005),
        ("createSoundMessage", snd(&dir), 7007),
        ("createVideoMessage", vid(&missing, &png), 7004),
        ("createVideoMessage", vid(&empty, &png), 7006),
        ("createVideoMessage", vid(&big_video, &png), 7005),
        ("createVideoMessage", vid(&ok_file, &text), 6031),
        ("createVideoMessage", vid(&ok_file, &missing), 7004),
        ("createVideoMessage", vid(&dir, &png), 7007),
        ("createFileMessage", file(&missing), 7004),
        ("createFileMessage", file(&empty), 7006),
        ("createFileMessage", file(&big_file), 7005),
        ("createFileMessage", file(&dir), 7007),
        // Within the limits: 100 MB exactly is still a file message.
        (
            "createFileMessage",
            file(&sparse(t, "max.bin", 100 * 1024 * 1024)),
            0,
        ),
        ("createSoundMessage", snd(&ok_file), 0),
        ("createImageMessage", img(&png), 0),
    ];
    if fifo_made {
        let f = fifo.to_string_lossy().into_owned();
        cases.push(("createFileMessage", file(&f), 7007));
        cases.push(("createImageMessage", img(&f), 7007));
    }
    for (method, params, want) in cases {
        let t0 = Instant::now();
        let (code, desc) = create_code(&c, method, params.clone());
        let took = t0.elapsed();
        assert_eq!(code, want, "{method} {params}: {desc}");
        assert!(took < Duration::from_secs(1), "{method} took {took:?}");
        if want != 0 {
            assert!(!desc.is_empty());
        }
    }
}

/// The child of `upload_of_20_mb_...`: makes a 20 MB file (written in pieces), warms the client
/// up with a small upload, then sends the big one and reports the progress values and its peak
/// RSS (VmHWM) before and after.
fn upload_child() {
    child::exit_with_parent();
    let url = std::env::var("V2IM_TEST_URL").expect("V2IM_TEST_URL");
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.bin");
    {
        let mut f = std::fs::File::create(&big).unwrap();
        let chunk = noise(1 << 20, 5);
        for i in 0..20u8 {
            let mut c = chunk.clone();
            c[0] = i;
            f.write_all(&c).unwrap();
        }
    }
    let small = write(tmp.path(), "small.bin", &noise(100_000, 6));
    let c = TestClient::new(&url, "alice");
    let events = Sink::new();
    c.listen(&events);
    let id = create(
        &c,
        "createFileMessage",
        json!({"filePath": small, "fileName": "s"}),
    );
    assert_eq!(c.send(&id, json!({"receiver": "bob"})).code, 0);
    while events.rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
    let before = vm("VmHWM");
    let id = create(
        &c,
        "createFileMessage",
        json!({"filePath": big.to_string_lossy(), "fileName": "big.bin"}),
    );
    let t0 = Instant::now();
    let d = c.send(&id, json!({"receiver": "bob"}));
    let took = t0.elapsed();
    assert_eq!(d.code, 0, "{}", d.json);
    let after = vm("VmHWM");
    let mut p = Vec::new();
    while let Ok(e) = events.rx.recv_timeout(Duration::from_millis(300)) {
        if e.json["event"] == "onSendMessageProgress" && e.json["data"]["id"] == id {
            p.push(e.json["data"]["progress"].as_i64().unwrap().to_string());
        }
    }
    child::tell_parent(&format!(
        "result {before} {after} {} {} {}",
        took.as_millis(),
        d.json["data"]["fileElem"]["url"].as_str().unwrap(),
        p.join(",")
    ));
    std::thread::sleep(Duration::from_secs(60));
}

/// A `/proc/self/status` figure in kB.
fn vm(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in /proc/self/status"))
}

#[test]
fn upload_of_20_mb_streams_with_progress_and_little_memory() {
    let s = media_server();
    let mut child = ChildProc::spawn(HELPER, "upload20", &[("V2IM_TEST_URL", s.url.clone())]);
    let line = child
        .next_line(Duration::from_secs(300))
        .expect("the child's result");
    child.kill();
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts[0], "result", "{line}");
    let before: u64 = parts[1].parse().unwrap();
    let after: u64 = parts[2].parse().unwrap();
    let ms: u64 = parts[3].parse().unwrap();
    let progress: Vec<i64> = parts[5].split(',').map(|v| v.parse().unwrap()).collect();
    let grew = after.saturating_sub(before);
    println!(
        "20 MB upload: {ms} ms, peak RSS {before} kB -> {after} kB (+{grew} kB), {} progress events: {progress:?}",
        progress.len()
    );
    let distinct: std::collections::BTreeSet<_> = progress.iter().collect();
    assert!(distinct.len() >= 10, "{progress:?}");
    // The hashing (before a byte goes out) is the first half, reported as it goes.
    assert!(
        distinct.iter().filter(|&&&p| (1..50).contains(&p)).count() >= 10,
        "{progress:?}"
    );
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last(), Some(&100));
    assert!(grew < 8 * 1024, "peak RSS grew by {grew} kB");
    // And the server has the very bytes.
    let back = fetch(parts[4]);
    assert_eq!(back.len(), 20 << 20);
    let mut want = Sha256::new();
    let chunk = noise(1 << 20, 5);
    for i in 0..20u8 {
        let mut c = chunk.clone();
        c[0] = i;
        want.update(&c);
    }
    assert_eq!(sha(&back), want.finalize().to_vec());
}

#[test]
fn a_group_image_message() {
    let s = media_server();
    s.create_group("pics", "alice", &["bob"]);
    let tmp = tempfile::tempdir().unwrap();
    let gif = image_bytes(500, 250, image::ImageFormat::Gif);
    let path = write(tmp.path(), "anim.gif", &gif);
    let a = TestClient::new(&s.url, "alice");
    let id = create(&a, "createImageMessage", json!({"imagePath": path}));
    let d = a.send(&id, json!({"groupID": "pics"}));
    assert_eq!(d.code, 0, "{}", d.json);
    let b = TestClient::new(&s.url, "bob");
    let h = b.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "pics", "count": 10}),
    );
    assert_eq!(h.code, 0, "{}", h.json);
    let m = h.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["elemType"] == 3)
        .cloned()
        .expect("the image in the group history");
    assert_eq!(m["imageElem"]["imageFormat"], 2);
    let dims: Vec<(u64, u64)> = m["imageElem"]["imageList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["width"].as_u64().unwrap(), i["height"].as_u64().unwrap()))
        .collect();
    assert_eq!(dims, [(500, 250), (396, 198), (500, 250)]);
    let url = m["imageElem"]["imageList"][0]["url"].as_str().unwrap();
    assert_eq!(sha(&fetch(url)), sha(&gif));
}

/// Uploads are write-once on the server, and the library names a file's path after its content:
/// someone who knows a file's bytes can store other bytes at that path first. The send still
/// succeeds, and its URL serves the sender's bytes, not the squatter's.
#[test]
fn a_path_taken_by_other_bytes_does_not_stop_the_upload() {
    let s = media_server();
    let tmp = tempfile::tempdir().unwrap();
    let bytes = noise(50_000, 21);
    let path = write(tmp.path(), "doc.bin", &bytes);
    let uuid: String = sha(&bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sig =
        v2im_wire::usersig::gen_usersig(SDKAPPID, v2im_server::TEST_SECRET_KEY, "mallory", 86_400);
    let mut squat = format!(
        "{}/files/{uuid}/doc.bin?sdkappid={SDKAPPID}&identifier=mallory&random=1&usersig=",
        s.url
    );
    v2im_wire::url::push_query_value(&mut squat, &sig);
    let put = ureq::put(&squat).send_bytes(b"not what alice sends");
    assert!(put.is_ok(), "mallory's PUT: {put:?}");

    let alice = TestClient::new(&s.url, "alice");
    let id = create(
        &alice,
        "createFileMessage",
        json!({"filePath": path, "fileName": "doc.bin"}),
    );
    let d = alice.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, 0, "{}", d.json);
    let url = d.json["data"]["fileElem"]["url"].as_str().unwrap();
    assert!(!url.contains(&format!("/{uuid}/")), "{url}");
    assert_eq!(sha(&fetch(url)), sha(&bytes));
}
