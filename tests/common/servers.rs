//! Real storage servers on 127.0.0.1 for the delivery tests: Apache httpd
//! with mod_dav and basic authentication, s3s-fs (an S3 server over a
//! folder), and microsocks (a SOCKS5 proxy). Each stops when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_listening(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Apache httpd serving `root` over WebDAV at `url`, for one user.
pub struct Dav {
    pub url: String,
    /// The folder the server keeps the objects in.
    pub root: PathBuf,
    pub port: u16,
    conf: PathBuf,
    pid: PathBuf,
}

impl Dav {
    /// Starts a private Apache instance under `dir` (user `user`, password `pass`).
    pub fn start(dir: &Path, user: &str, pass: &str) -> Dav {
        Self::start_on(dir, user, pass, free_port(), None)
    }

    /// Starts it on `port`, keeping the objects in `root` when given (a
    /// small tmpfs, for instance).
    pub fn start_on(dir: &Path, user: &str, pass: &str, port: u16, root: Option<&Path>) -> Dav {
        super::require_tool("apache2");
        super::require_tool("htpasswd");
        let base = dir.join(format!("apache-{port}"));
        let root = root.map_or_else(|| base.join("root"), Path::to_path_buf);
        for d in [&base, &root, &base.join("lock"), &base.join("logs")] {
            std::fs::create_dir_all(d).expect("apache dirs");
        }
        let passwd = base.join("htpasswd");
        let ok = Command::new("htpasswd")
            .args(["-bc"])
            .arg(&passwd)
            .args([user, pass])
            .stderr(Stdio::null())
            .status()
            .expect("htpasswd");
        assert!(ok.success(), "htpasswd failed");
        let modules = [
            ("mpm_event", "mod_mpm_event.so"),
            ("authz_core", "mod_authz_core.so"),
            ("authz_user", "mod_authz_user.so"),
            ("authn_core", "mod_authn_core.so"),
            ("authn_file", "mod_authn_file.so"),
            ("auth_basic", "mod_auth_basic.so"),
            ("alias", "mod_alias.so"),
            ("dav", "mod_dav.so"),
            ("dav_fs", "mod_dav_fs.so"),
            ("dav_lock", "mod_dav_lock.so"),
            ("mime", "mod_mime.so"),
            ("setenvif", "mod_setenvif.so"),
        ];
        let loads: String = modules
            .iter()
            .map(|(m, f)| format!("LoadModule {m}_module /usr/lib/apache2/modules/{f}\n"))
            .collect();
        let root_user = is_root();
        let user_lines = if root_user {
            "User www-data\nGroup www-data\n"
        } else {
            ""
        };
        let conf = base.join("httpd.conf");
        let pid = base.join("httpd.pid");
        std::fs::write(
            &conf,
            format!(
                "ServerRoot {b}\nListen 127.0.0.1:{port}\nPidFile {pid}\nErrorLog {b}/logs/error.log\n\
                 {user_lines}ServerName localhost\n{loads}TypesConfig /etc/mime.types\n\
                 DAVLockDB {b}/lock/DAVLock\nLimitRequestBody 0\nAlias /dav {r}\n\
                 <Directory {r}>\n  DAV On\n  AuthType Basic\n  AuthName dav\n  AuthUserFile {pw}\n  Require valid-user\n</Directory>\n",
                b = base.display(),
                pid = pid.display(),
                r = root.display(),
                pw = passwd.display(),
            ),
        )
        .expect("apache conf");
        if root_user {
            let ok = Command::new("chown")
                .args(["-R", "www-data:www-data"])
                .arg(&root)
                .arg(base.join("lock"))
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let dav = Dav {
            url: format!("http://127.0.0.1:{port}/dav"),
            root,
            port,
            conf,
            pid,
        };
        dav.run();
        dav
    }

    fn run(&self) {
        let out = Command::new("apache2")
            .arg("-f")
            .arg(&self.conf)
            .args(["-k", "start"])
            .output()
            .expect("apache2");
        assert!(
            out.status.success(),
            "apache2 did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        wait_listening(self.port, "apache2");
    }

    /// Stops the server (as a crash would, for the resume tests).
    pub fn stop(&self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Starts it again after [`Dav::stop`].
    pub fn restart(&self) {
        self.run();
    }
}

impl Drop for Dav {
    fn drop(&mut self) {
        self.stop();
    }
}

/// s3s-fs serving bucket folders under `root`.
pub struct S3 {
    pub url: String,
    pub root: PathBuf,
    pub access_key: String,
    pub secret_key: String,
    child: Child,
}

impl S3 {
    /// Starts s3s-fs under `dir` with one bucket `bucket`.
    pub fn start(dir: &Path, bucket: &str) -> S3 {
        super::require_tool("s3s-fs");
        let port = free_port();
        let root = dir.join(format!("s3-{port}"));
        std::fs::create_dir_all(root.join(bucket)).expect("bucket dir");
        let access_key = "casefile-test-key".to_string();
        let secret_key = "s3-secret-Zq7x1".to_string();
        let child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs");
        wait_listening(port, "s3s-fs");
        S3 {
            url: format!("http://127.0.0.1:{port}"),
            root,
            access_key,
            secret_key,
            child,
        }
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// microsocks, a SOCKS5 proxy on 127.0.0.1, logging each connection.
pub struct Socks {
    pub url: String,
    child: Child,
}

impl Socks {
    /// Starts one.
    pub fn start() -> Socks {
        super::require_tool("microsocks");
        let port = free_port();
        let child = Command::new("microsocks")
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("microsocks");
        wait_listening(port, "microsocks");
        Socks {
            url: format!("socks5h://127.0.0.1:{port}"),
            child,
        }
    }

    /// Stops it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Socks {
    fn drop(&mut self) {
        self.stop();
    }
}
