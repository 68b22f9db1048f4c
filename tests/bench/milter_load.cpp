// signet-milter-load: drives any milter (signet-milter, OpenDKIM, ...) the
// way an MTA does, over the project's milter client codec, and reports
// throughput, latency and the milter's own CPU time per message.
//
// N connections run in parallel, each a thread with one MilterConnection
// that carries message after message (MAIL .. end of message, as an SMTP
// session with several messages). Messages come from files, used in turn.
// A warm-up round (not timed) fills the milter's caches first; then the
// timed window: a bounded count (--messages) or a duration (--seconds).
//
// Figures: messages/s over the window, latency p50/p99 (MAIL to the
// end-of-message reply), and, with --pid, the milter's CPU time per message:
// the change in utime+stime of the whole process over the window, divided by
// the messages; plus VmHWM (peak RSS) before and after from /proc/PID/status.
// utime+stime of /proc/PID/stat count every thread, but in clock ticks
// (10 ms); so the per-thread nanosecond counters (/proc/PID/task/*/schedstat)
// are summed instead whenever no thread ended during the window, and the
// output says which was used.
//
// Checks: every reply must be accept/continue; in sign mode each message must
// get a DKIM-Signature inserted, in verify mode an Authentication-Results with
// dkim=pass. Failures are counted and printed; the exit status is 1 if any.
// The tool never judges speed.
//
// --raw-rsa-sign KEY times raw EVP RSA signing (SHA-256 digest of a short
// string, what a DKIM signature costs without the DKIM) in this process, as
// the reference the milter's signing is compared with.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "milter_client.h"
#include "socket_spec.h"

namespace mc = signet::milter_client;

namespace {

constexpr const char* kUsage =
    R"(usage: signet-milter-load --socket SPEC --message FILE [--message FILE ...] [options]
       signet-milter-load --raw-rsa-sign KEY.pem [--iterations N] [--json]

Drives a milter as an MTA would and reports messages/s, latency p50/p99 and,
with --pid, the milter's CPU time per message (/proc/PID/stat, all threads).

  --socket SPEC        inet:PORT@HOST, inet6:PORT@HOST or unix:/path
  --message FILE       a message (LF or CRLF); several are used in turn
  --connections N      concurrent connections (default 1)
  --messages M         timed messages in all (default 1000)
  --seconds S          end the window after S seconds (or M messages, if first;
                       with --seconds alone, M is unbounded)
  --warmup W           untimed messages per connection first (default 5)
  --mode sign|verify   sign: {daemon_name} ORIGINATING, client 127.0.0.1;
                       verify: {daemon_name} MTA, client 198.51.100.1 (external)
  --no-quick-ack       turn TCP_QUICKACK off after each read (delayed ACKs)
  --pid PID            the milter's process, for CPU time and VmHWM
  --save FILE          write the first timed message as the milter left it
  --no-check           do not require a DKIM-Signature / dkim=pass
  --timeout-ms T       per-step timeout (default 30000)
  --json               one JSON object instead of text
  --raw-rsa-sign KEY   time raw EVP RSA-SHA256 signing with KEY in-process
  --iterations N       raw signatures to time (default 2000)
)";

[[noreturn]] void usageError(const std::string& why) {
  std::fprintf(stderr, "signet-milter-load: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

struct Options {
  std::string socket;
  std::vector<std::string> message_files;
  int connections = 1;
  long messages = 1000;
  double seconds = 0;
  int warmup = 5;
  bool sign = true;
  bool quick_ack = true;
  long pid = 0;
  std::string save;
  bool check = true;
  long timeout_ms = 30000;
  bool json = false;
  std::string raw_rsa_key;
  long iterations = 2000;
};

long toNumber(const std::string& option, const char* text) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < 0) usageError(option + " takes a non-negative number");
  return value;
}

Options parseOptions(int argc, char** argv) {
  Options o;
  bool messages_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--socket")
      o.socket = value();
    else if (arg == "--message")
      o.message_files.emplace_back(value());
    else if (arg == "--connections")
      o.connections = static_cast<int>(toNumber(arg, value()));
    else if (arg == "--seconds") {
      o.seconds = std::atof(value());
      if (!messages_given) o.messages = std::numeric_limits<long>::max();
    } else if (arg == "--messages") {
      o.messages = toNumber(arg, value());
      messages_given = true;
    } else if (arg == "--warmup")
      o.warmup = static_cast<int>(toNumber(arg, value()));
    else if (arg == "--mode") {
      const std::string mode = value();
      if (mode != "sign" && mode != "verify") usageError("--mode is sign or verify");
      o.sign = mode == "sign";
    } else if (arg == "--no-quick-ack")
      o.quick_ack = false;
    else if (arg == "--pid")
      o.pid = toNumber(arg, value());
    else if (arg == "--save")
      o.save = value();
    else if (arg == "--no-check")
      o.check = false;
    else if (arg == "--timeout-ms")
      o.timeout_ms = toNumber(arg, value());
    else if (arg == "--json")
      o.json = true;
    else if (arg == "--raw-rsa-sign")
      o.raw_rsa_key = value();
    else if (arg == "--iterations")
      o.iterations = toNumber(arg, value());
    else
      usageError("unknown option " + arg);
  }
  if (!o.raw_rsa_key.empty()) return o;
  if (o.socket.empty()) usageError("--socket is required");
  if (o.message_files.empty()) usageError("at least one --message is required");
  if (o.connections < 1) usageError("--connections must be at least 1");
  return o;
}

// ---------------------------------------------------------------- messages

struct Field {
  std::string name;
  std::string value;  // as after the colon, folds as LF (as Postfix sends them)
};

struct Message {
  std::string file;
  std::vector<Field> headers;
  std::string body;  // CRLF line ends
  std::string raw;   // the whole message, CRLF
};

std::string toCrlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out.push_back('\r');
    out.push_back(in[i]);
  }
  return out;
}

std::optional<Message> loadMessage(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read";
    return std::nullopt;
  }
  Message m;
  m.file = path;
  m.raw = toCrlf(std::string(std::istreambuf_iterator<char>(in), {}));
  const std::size_t end = m.raw.find("\r\n\r\n");
  const std::string_view head =
      std::string_view(m.raw).substr(0, end == std::string::npos ? m.raw.size() : end + 2);
  if (end != std::string::npos) m.body = m.raw.substr(end + 4);
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().value += "\n";
      m.headers.back().value += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      error = path + ": a header line without a name and colon";
      return std::nullopt;
    }
    m.headers.push_back(Field{std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  if (m.headers.empty()) {
    error = path + ": no header fields";
    return std::nullopt;
  }
  return m;
}

// The message as the milter left it: inserts and additions applied, in the
// order they came (changes and body replacements are not expected here and
// are ignored).
std::string applyModifications(const Message& m, const std::vector<mc::Modification>& mods) {
  std::vector<Field> fields = m.headers;
  for (const auto& mod : mods) {
    std::string value = mod.value;
    if (value.empty() || (value[0] != ' ' && value[0] != '\t')) value = " " + value;
    if (mod.kind == mc::Modification::Kind::insert_header)
      fields.insert(fields.begin() + std::min<std::size_t>(mod.index, fields.size()), Field{mod.name, value});
    else if (mod.kind == mc::Modification::Kind::add_header)
      fields.push_back(Field{mod.name, value});
  }
  std::string out;
  for (const auto& f : fields) out += toCrlf(f.name + ":" + f.value) + "\r\n";
  return out + "\r\n" + m.body;
}

// ---------------------------------------------------------------- /proc

struct ProcSample {
  double cpu_seconds = 0;  // utime + stime, all threads (clock ticks: 10 ms steps)
  long vm_hwm_kb = 0;
  std::map<long, double> thread_seconds;  // per live thread, from schedstat (nanoseconds)
};

// The CPU time of the window from the per-thread nanosecond counters when
// every thread alive at the start is still alive at the end (a thread that
// ends takes its counter with it); else nothing, and the tick count is used.
std::optional<double> preciseCpuSeconds(const ProcSample& before, const ProcSample& after) {
  double total = 0;
  for (const auto& [tid, seconds] : before.thread_seconds)
    if (!after.thread_seconds.contains(tid)) return std::nullopt;
  for (const auto& [tid, seconds] : after.thread_seconds) {
    auto it = before.thread_seconds.find(tid);
    total += seconds - (it == before.thread_seconds.end() ? 0.0 : it->second);
  }
  return total;
}

std::optional<ProcSample> sampleProcess(long pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Fields after the command name in parentheses (which may hold spaces).
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
  // f[0] is field 3 (state); utime is field 14, stime 15.
  if (f.size() < 13) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) s.vm_hwm_kb = std::atol(line.c_str() + 6);
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream schedstat(entry.path() / "schedstat");
    double ns = 0;
    if (schedstat >> ns) s.thread_seconds[std::atol(entry.path().filename().c_str())] = ns / 1e9;
  }
  return s;
}

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// ---------------------------------------------------------------- one connection

struct Shared {
  Shared(const Options& o, const mc::SocketSpec& s, const std::vector<Message>& m)
      : options(o), socket(s), messages(m) {}
  const Options& options;
  const mc::SocketSpec& socket;
  const std::vector<Message>& messages;
  std::atomic<long> next{0};  // the next timed message's number
  std::chrono::steady_clock::time_point deadline{};
  std::mutex mutex;  // guards the fields below
  std::vector<double> latencies_ms;
  long completed = 0;
  long failures = 0;
  std::vector<std::string> errors;  // the first few
  bool saved = false;
};

class Worker {
 public:
  Worker(Shared& shared, int id) : shared_(shared), id_(id) {}

  // Sends one message; returns its latency, or nothing after a failure
  // (recorded in `shared_`).
  std::optional<double> sendOne(long number, bool timed) {
    const Message& m = shared_.messages[static_cast<std::size_t>(number) % shared_.messages.size()];
    std::string error;
    const auto started = std::chrono::steady_clock::now();
    std::vector<mc::Modification> mods;
    if (!send(m, number, mods, error)) {
      fail(m, error);
      connection_.reset();
      return std::nullopt;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (shared_.options.check && !checkResult(mods, error)) {
      fail(m, error);
      return std::nullopt;
    }
    if (timed && !shared_.options.save.empty()) {
      std::lock_guard lock(shared_.mutex);
      if (!shared_.saved) {
        shared_.saved = true;
        std::ofstream(shared_.options.save, std::ios::binary) << applyModifications(m, mods);
      }
    }
    return ms;
  }

  void close() {
    if (connection_) connection_->quit();
    connection_.reset();
  }

 private:
  bool open(std::string& error) {
    mc::ClientOptions options;
    options.quick_ack = shared_.options.quick_ack;
    const std::chrono::milliseconds step{shared_.options.timeout_ms};
    options.timeouts = mc::Timeouts{step, step, step};
    auto c = mc::MilterConnection::open(shared_.socket, options);
    if (!c) {
      error = "open: " + c.error().message;
      return false;
    }
    const bool sign = shared_.options.sign;
    const std::vector<mc::Macro> macros{{"j", "mx.signet.test"},
                                        {"{daemon_name}", sign ? "ORIGINATING" : "MTA"}};
    auto r = c->connect(sign ? "localhost" : "mail.example.org", '4', static_cast<std::uint16_t>(40000 + id_),
                        sign ? "127.0.0.1" : "198.51.100.1", macros);
    if (!r || r->kind != mc::Reply::Kind::continue_) {
      error = r ? "connect: " + std::string(mc::toString(r->kind)) : "connect: " + r.error().message;
      return false;
    }
    r = c->helo(sign ? "localhost" : "mail.example.org", {});
    if (!r || r->kind != mc::Reply::Kind::continue_) {
      error = r ? "helo: " + std::string(mc::toString(r->kind)) : "helo: " + r.error().message;
      return false;
    }
    connection_.emplace(std::move(*c));
    return true;
  }

  bool send(const Message& m, long number, std::vector<mc::Modification>& mods, std::string& error) {
    if (!connection_ && !open(error)) return false;
    mc::MilterConnection& c = *connection_;
    const std::string queue_id = "LOAD" + std::to_string(id_) + "N" + std::to_string(number);
    const std::vector<mc::Macro> mail_macros{{"i", queue_id},
                                             {"{daemon_name}", shared_.options.sign ? "ORIGINATING" : "MTA"}};
    auto step = [&](const char* what, const std::expected<mc::Reply, mc::ClientError>& r) {
      if (!r)
        error = std::string(what) + ": " + r.error().message;
      else if (r->kind != mc::Reply::Kind::continue_ && r->kind != mc::Reply::Kind::skip)
        error = std::string(what) + ": " + std::string(mc::toString(r->kind)) + " " + r->text;
      return error.empty();
    };
    if (!step("MAIL", c.mail("<alice@example.com>", mail_macros))) return false;
    if (!step("RCPT", c.rcpt("<bob@example.net>", {}))) return false;
    if (!step("DATA", c.data({}))) return false;
    for (const auto& f : m.headers)
      if (!step("header", c.header(f.name, f.value))) return false;
    if (!step("end of headers", c.endOfHeaders())) return false;
    if (!m.body.empty() && !step("body", c.body(std::span<const char>(m.body.data(), m.body.size()))))
      return false;
    const std::vector<mc::Macro> eom_macros{{"i", queue_id}};
    auto eom = c.endOfMessage(eom_macros);
    if (!eom) {
      error = "end of message: " + eom.error().message;
      return false;
    }
    if (eom->reply.kind != mc::Reply::Kind::continue_ && eom->reply.kind != mc::Reply::Kind::accept) {
      error = "end of message: " + std::string(mc::toString(eom->reply.kind)) + " " + eom->reply.text;
      return false;
    }
    mods = std::move(eom->modifications);
    return true;
  }

  bool checkResult(const std::vector<mc::Modification>& mods, std::string& error) const {
    for (const auto& mod : mods) {
      const bool added =
          mod.kind == mc::Modification::Kind::insert_header || mod.kind == mc::Modification::Kind::add_header;
      if (!added) continue;
      if (shared_.options.sign && strcasecmp(mod.name.c_str(), "DKIM-Signature") == 0) return true;
      if (!shared_.options.sign && strcasecmp(mod.name.c_str(), "Authentication-Results") == 0 &&
          mod.value.find("dkim=pass") != std::string::npos)
        return true;
    }
    error = shared_.options.sign ? "no DKIM-Signature was added" : "no Authentication-Results with dkim=pass";
    for (const auto& mod : mods)
      if (strcasecmp(mod.name.c_str(), "Authentication-Results") == 0) error += ": got" + mod.value;
    return false;
  }

  void fail(const Message& m, const std::string& error) {
    std::lock_guard lock(shared_.mutex);
    ++shared_.failures;
    if (shared_.errors.size() < 5) shared_.errors.push_back(m.file + ": " + error);
  }

  Shared& shared_;
  int id_;
  std::optional<mc::MilterConnection> connection_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20)
      out += ' ';
    else
      out += c;
  }
  return out + "\"";
}

int runLoad(const Options& o) {
  auto socket = mc::parseSocketSpec(o.socket);
  if (!socket) usageError("--socket: " + socket.error());
  std::vector<Message> messages;
  for (const auto& file : o.message_files) {
    std::string error;
    auto m = loadMessage(file, error);
    if (!m) {
      std::fprintf(stderr, "signet-milter-load: %s\n", error.c_str());
      return 2;
    }
    messages.push_back(std::move(*m));
  }
  Shared shared(o, *socket, messages);
  std::optional<ProcSample> before, after;
  std::chrono::steady_clock::time_point started, stopped;
  // All connections warm up, then the window opens for all at once.
  std::barrier warmed(o.connections + 1);
  std::barrier go(o.connections + 1);
  std::barrier done(o.connections + 1);
  std::vector<std::thread> threads;
  for (int id = 0; id < o.connections; ++id) {
    threads.emplace_back([&, id] {
      Worker worker(shared, id);
      for (int i = 0; i < o.warmup; ++i) worker.sendOne(id + i * o.connections, false);
      warmed.arrive_and_wait();
      go.arrive_and_wait();
      std::vector<double> latencies;
      for (;;) {
        const long number = shared.next.fetch_add(1);
        if (number >= o.messages) break;
        if (o.seconds > 0 && std::chrono::steady_clock::now() >= shared.deadline) break;
        if (auto ms = worker.sendOne(number, true)) latencies.push_back(*ms);
      }
      done.arrive_and_wait();
      worker.close();
      std::lock_guard lock(shared.mutex);
      shared.completed += static_cast<long>(latencies.size());
      shared.latencies_ms.insert(shared.latencies_ms.end(), latencies.begin(), latencies.end());
    });
  }
  // Warm-up failures count too: they mean the set-up is wrong. The window
  // opens once every connection has warmed up and the milter is sampled.
  warmed.arrive_and_wait();
  if (o.pid) before = sampleProcess(o.pid);
  started = std::chrono::steady_clock::now();
  shared.deadline = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(o.seconds));
  go.arrive_and_wait();
  done.arrive_and_wait();
  stopped = std::chrono::steady_clock::now();
  if (o.pid) after = sampleProcess(o.pid);
  for (auto& t : threads) t.join();

  const double seconds = std::chrono::duration<double>(stopped - started).count();
  const long n = shared.completed;
  const double rate = seconds > 0 ? static_cast<double>(n) / seconds : 0;
  const double p50 = percentile(shared.latencies_ms, 50), p99 = percentile(shared.latencies_ms, 99);
  const bool have_cpu = before && after && n > 0;
  const double tick_seconds = have_cpu ? after->cpu_seconds - before->cpu_seconds : 0;
  const std::optional<double> precise = have_cpu ? preciseCpuSeconds(*before, *after) : std::nullopt;
  const double cpu_seconds = precise.value_or(tick_seconds);
  const double cpu_ms = have_cpu ? cpu_seconds * 1000.0 / static_cast<double>(n) : 0;
  if (o.json) {
    std::printf(
        "{\"messages\":%ld,\"failures\":%ld,\"seconds\":%.4f,\"msgs_per_s\":%.2f,\"p50_ms\":%.4f,"
        "\"p99_ms\":%.4f,\"connections\":%d,\"quick_ack\":%s",
        n, shared.failures, seconds, rate, p50, p99, o.connections, o.quick_ack ? "true" : "false");
    if (have_cpu)
      std::printf(
          ",\"cpu_ms_per_msg\":%.4f,\"cpu_seconds\":%.4f,\"cpu_seconds_ticks\":%.2f,\"cpu_source\":\"%s\","
          "\"vm_hwm_kb_before\":%ld,\"vm_hwm_kb_after\":%ld",
          cpu_ms, cpu_seconds, tick_seconds, precise ? "schedstat" : "stat", before->vm_hwm_kb,
          after->vm_hwm_kb);
    std::printf(",\"errors\":[");
    for (std::size_t i = 0; i < shared.errors.size(); ++i)
      std::printf("%s%s", i ? "," : "", jsonString(shared.errors[i]).c_str());
    std::printf("]}\n");
  } else {
    std::printf("%ld messages over %d connection(s) in %.3f s: %.1f messages/s\n", n, o.connections, seconds,
                rate);
    std::printf("latency p50 %.3f ms, p99 %.3f ms (quick ACK %s)\n", p50, p99, o.quick_ack ? "on" : "off");
    if (have_cpu)
      std::printf(
          "milter pid %ld: CPU %.3f ms per message (%.3f s in all, from %s; %.2f s by clock ticks); "
          "VmHWM %ld kB before, %ld kB after\n",
          o.pid, cpu_ms, cpu_seconds, precise ? "per-thread schedstat" : "/proc/PID/stat", tick_seconds,
          before->vm_hwm_kb, after->vm_hwm_kb);
    if (shared.failures) std::printf("%ld failure(s)\n", shared.failures);
    for (const auto& e : shared.errors) std::printf("  %s\n", e.c_str());
  }
  return shared.failures ? 1 : 0;
}

// ---------------------------------------------------------------- raw RSA

int runRawRsa(const Options& o) {
  std::FILE* f = std::fopen(o.raw_rsa_key.c_str(), "r");
  if (!f) {
    std::fprintf(stderr, "signet-milter-load: %s: cannot read\n", o.raw_rsa_key.c_str());
    return 2;
  }
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key) {
    std::fprintf(stderr, "signet-milter-load: %s: not a PEM private key\n", o.raw_rsa_key.c_str());
    return 2;
  }
  const std::string data = "a short string standing for the header hash input of one message";
  std::vector<unsigned char> sig(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
  auto signOnce = [&]() {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = sig.size();
    const bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                    EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(data.data()),
                                   data.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
  };
  for (int i = 0; i < 20; ++i)
    if (!signOnce()) return 2;
  const long n = std::max(1L, o.iterations);
  const double cpu0 = threadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i)
    if (!signOnce()) return 2;
  const double cpu_ms = (threadCpuSeconds() - cpu0) * 1000.0 / static_cast<double>(n);
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
      static_cast<double>(n);
  const int bits = EVP_PKEY_get_bits(key);
  EVP_PKEY_free(key);
  if (o.json)
    std::printf(
        "{\"raw_sign_bits\":%d,\"iterations\":%ld,\"cpu_ms_per_sign\":%.4f,\"wall_ms_per_sign\":%.4f}\n",
        bits, n, cpu_ms, wall_ms);
  else
    std::printf("raw EVP RSA-%d SHA-256 signing: %.4f ms CPU, %.4f ms wall per signature (%ld)\n", bits,
                cpu_ms, wall_ms, n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parseOptions(argc, argv);
  return o.raw_rsa_key.empty() ? runLoad(o) : runRawRsa(o);
}
