//! A real RFC 3161 time-stamping authority on 127.0.0.1: OpenSSL's
//! `openssl ts -reply` behind a minimal HTTP server run by the test, with its
//! own test CA and a time-stamping certificate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the authority's signing certificate says it may do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Critical extended key usage timeStamping, as RFC 3161 requires.
    TimeStamping,
    /// Code signing only: `openssl ts` refuses to sign with it, so the token
    /// is made with `openssl cms` over a genuine TSTInfo.
    CodeSigning,
}

/// One running authority.
pub struct Authority {
    /// Its folder: `ca.pem`, `tsa.pem`, keys and config.
    pub dir: PathBuf,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// While false, every request gets HTTP 503 (the authority is "down").
    pub up: Arc<AtomicBool>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Authority {
    /// Makes a CA and a signing certificate under `dir` and starts serving.
    pub fn start(dir: &Path, name: &str, usage: Usage) -> Authority {
        super::require_tool("openssl");
        make(dir, name, usage);
        if usage == Usage::CodeSigning {
            // A genuine authority to borrow TSTInfo from.
            make(
                &dir.join("genuine"),
                &format!("{name}-genuine"),
                Usage::TimeStamping,
            );
        }
        serve(dir, usage)
    }

    /// The CA certificate a recipient pins.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

fn make(dir: &Path, name: &str, usage: Usage) {
    std::fs::create_dir_all(dir).expect("tsa dir");
    let ca_subject = format!("/CN=Test TSA CA {name}");
    let tsa_subject = format!("/CN=Test TSA {name}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            &ca_subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            &tsa_subject,
        ],
    );
    let eku = match usage {
        Usage::TimeStamping => "extendedKeyUsage=critical,timeStamping\n",
        Usage::CodeSigning => "extendedKeyUsage=critical,codeSigning\n",
    };
    std::fs::write(dir.join("ext.cnf"), eku).expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
        ],
    );
    std::fs::write(dir.join("serial"), "01\n").expect("serial");
    std::fs::write(
            dir.join("ts.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\ndir = {}\nserial = $dir/serial\n\
                 crypto_device = builtin\nsigner_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n\
                 signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
                 accuracy = secs:1\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\n\
                 ess_cert_id_alg = sha256\n",
                dir.display()
            ),
        )
        .expect("ts.cnf");
}

fn serve(dir: &Path, usage: Usage) -> Authority {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let up = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&up);
    let serve_dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let mut n = 0u32;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            n += 1;
            let reply = if flag.load(Ordering::SeqCst) {
                read_request(&mut stream)
                    .and_then(|q| answer(&serve_dir, usage, n, &q))
                    .map(|r| (200, r))
                    .unwrap_or((500, Vec::new()))
            } else {
                let _ = read_request(&mut stream);
                (503, Vec::new())
            };
            let head = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/timestamp-reply\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                reply.0,
                reply.1.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply.1);
        }
    });
    Authority {
        dir: dir.to_path_buf(),
        url,
        up,
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn answer(dir: &Path, usage: Usage, n: u32, query: &[u8]) -> Option<Vec<u8>> {
    let q = dir.join(format!("q{n}.tsq"));
    let r = dir.join(format!("r{n}.tsr"));
    std::fs::write(&q, query).ok()?;
    let signer_dir = match usage {
        Usage::TimeStamping => dir.to_path_buf(),
        Usage::CodeSigning => dir.join("genuine"),
    };
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(signer_dir.join("ts.cnf"))
        .arg("-queryfile")
        .arg(&q)
        .arg("-out")
        .arg(&r)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    if usage == Usage::TimeStamping {
        return std::fs::read(&r).ok();
    }
    // Re-sign the genuine TSTInfo with the code-signing certificate.
    let token = dir.join(format!("t{n}.der"));
    let info = dir.join(format!("i{n}.der"));
    let forged = dir.join(format!("f{n}.der"));
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new("openssl")
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let s = |p: &Path| p.as_os_str().to_owned();
    let ok = run(&[
        "ts".as_ref(),
        "-reply".as_ref(),
        "-in".as_ref(),
        &s(&r),
        "-token_out".as_ref(),
        "-out".as_ref(),
        &s(&token),
    ]) && run(&[
        "cms".as_ref(),
        "-verify".as_ref(),
        "-noverify".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        &s(&token),
        "-out".as_ref(),
        &s(&info),
    ]) && run(&[
        "cms".as_ref(),
        "-sign".as_ref(),
        "-binary".as_ref(),
        "-nodetach".as_ref(),
        "-econtent_type".as_ref(),
        "1.2.840.113549.1.9.16.1.4".as_ref(),
        "-md".as_ref(),
        "sha256".as_ref(),
        "-in".as_ref(),
        &s(&info),
        "-signer".as_ref(),
        &s(&dir.join("tsa.pem")),
        "-inkey".as_ref(),
        &s(&dir.join("tsa.key")),
        "-outform".as_ref(),
        "DER".as_ref(),
        "-out".as_ref(),
        &s(&forged),
    ]);
    if !ok {
        return None;
    }
    // TimeStampResp ::= SEQUENCE { PKIStatusInfo { 0 }, token }
    let token = std::fs::read(&forged).ok()?;
    let mut body = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    body.extend_from_slice(&token);
    let mut out = vec![0x30];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(&body);
    Some(out)
}

impl Authority {
    /// A token over `data` signed by a time-stamping certificate issued not
    /// by this authority's CA but by an ordinary end-entity certificate
    /// (CA:FALSE) that the CA issued: the chain reaches the pinned CA, and
    /// must still be refused. Written to `out` as a granted reply.
    pub fn forge_through_end_entity(&self, data: &Path, out: &Path) {
        let d = self.dir.join("forge");
        std::fs::create_dir_all(&d).expect("forge dir");
        openssl(
            &d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "web.key",
                "-out",
                "web.csr",
                "-subj",
                "/CN=www.example.org",
            ],
        );
        std::fs::write(d.join("web.cnf"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=serverAuth\n").expect("cnf");
        let ca = self.dir.join("ca.pem");
        let ca_key = self.dir.join("ca.key");
        openssl(
            &d,
            &[
                "x509",
                "-req",
                "-in",
                "web.csr",
                "-CA",
                s(&ca),
                "-CAkey",
                s(&ca_key),
                "-CAcreateserial",
                "-out",
                "web.pem",
                "-days",
                "30",
                "-extfile",
                "web.cnf",
            ],
        );
        openssl(
            &d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "tsa.key",
                "-out",
                "tsa.csr",
                "-subj",
                "/CN=Test TSA one",
            ],
        );
        std::fs::write(
            d.join("tsa.cnf"),
            "extendedKeyUsage=critical,timeStamping\n",
        )
        .expect("cnf");
        openssl(
            &d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "web.pem",
                "-CAkey",
                "web.key",
                "-CAcreateserial",
                "-out",
                "tsa.pem",
                "-days",
                "30",
                "-extfile",
                "tsa.cnf",
            ],
        );
        std::fs::write(d.join("serial"), "01\n").expect("serial");
        std::fs::write(
            d.join("ts.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = t\n[ t ]\ndir = {}\nserial = $dir/serial\ncrypto_device = builtin\n\
                 signer_cert = $dir/tsa.pem\ncerts = $dir/web.pem\nsigner_key = $dir/tsa.key\n\
                 signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\n\
                 ess_cert_id_alg = sha256\n",
                d.display()
            ),
        )
        .expect("ts.cnf");
        openssl(
            &d,
            &[
                "ts",
                "-query",
                "-data",
                s(data),
                "-sha256",
                "-cert",
                "-out",
                "q.tsq",
            ],
        );
        openssl(
            &d,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                "q.tsq",
                "-out",
                s(out),
            ],
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
