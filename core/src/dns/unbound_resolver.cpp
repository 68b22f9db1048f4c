// UnboundResolver: TXT look-ups on libunbound, each bounded by a timeout.
//
// Design: the context runs in libunbound's threaded asynchronous mode. Every
// caller starts its query with ub_resolve_async and waits on its own
// condition variable until a deadline. One event thread owned by the resolver
// polls ub_fd() (plus a wake-up pipe for shutdown) and calls ub_process(),
// which runs the callbacks; a callback interprets the ub_result and hands the
// answer to the waiting caller. On timeout the caller ub_cancel()s its query.
//
// Lifetime of a query's Pending record: the `outstanding_` map owns it for
// as long as a callback for it can still arrive. Only three things remove it:
// the callback itself; the caller after a successful ub_cancel (libunbound
// then never calls back); the event thread as it exits (after which nothing
// calls ub_process any more). So a callback always finds its Pending alive.
#include "signet/unbound_resolver.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "dns/unbound_context.h"

namespace signet {
namespace {

using dns::UbCtxPtr;
using dns::UbResultPtr;

constexpr int kTypeTxt = 16;  // RFC 1035 section 3.2.2
constexpr int kClassIn = 1;   // RFC 1035 section 3.2.4
constexpr int kRcodeNxdomain = 3;
constexpr std::size_t kMaxNameLength = 253;  // without the trailing dot
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxReasonDetail = 200;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

TxtAnswer answerOf(DnsStatus status, std::string reason) {
  TxtAnswer answer;
  answer.status = status;
  answer.reason = std::move(reason);
  return answer;
}

// Text from libunbound (why_bogus names records from the network) made safe
// for one log line: printable ASCII only, bounded length.
std::string printable(const char* text) {
  std::string out;
  for (const char* p = text; p != nullptr && *p != '\0' && out.size() < kMaxReasonDetail; ++p)
    out += (*p >= 0x20 && *p < 0x7f) ? *p : '?';
  return out;
}

std::string describeRcode(int rcode) {
  switch (rcode) {
    case 1:
      return "DNS format error (FORMERR)";
    case 2:
      return "DNS server failure (SERVFAIL)";
    case 4:
      return "DNS query not implemented (NOTIMP)";
    case 5:
      return "DNS query refused (REFUSED)";
    default:
      return "DNS error (rcode " + std::to_string(rcode) + ")";
  }
}

// Why `name` cannot be a DNS name to query, or an empty string. Presentation
// escapes ('\') and control characters are refused: key names never need them.
std::string nameProblem(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "invalid DNS name: empty";
  if (name.size() > kMaxNameLength) return "invalid DNS name: longer than 253 characters";
  std::size_t label = 0;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '\\') return "invalid DNS name: bad character";
    if (c != '.') {
      if (++label > kMaxLabelLength) return "invalid DNS name: label longer than 63 characters";
      continue;
    }
    if (label == 0) return "invalid DNS name: empty label";
    label = 0;
  }
  return {};
}

// The TXT records of a NOERROR answer with data; unusable ones are dropped.
TxtAnswer collectRecords(const ub_result& result, std::size_t max_txt_bytes) {
  TxtAnswer answer;
  std::size_t dropped = 0;
  std::string why;
  for (std::size_t i = 0; result.data[i] != nullptr; ++i) {
    const int length = result.len[i];
    if (length < 0) {
      ++dropped;
      why = "invalid rdata length";
      continue;
    }
    const std::span rdata(reinterpret_cast<const unsigned char*>(result.data[i]),
                          static_cast<std::size_t>(length));
    auto text = parseTxtRdata(rdata, max_txt_bytes);
    if (!text) {
      ++dropped;
      why = text.error().why;
      continue;
    }
    answer.records.push_back(std::move(*text));
  }
  if (answer.records.empty()) {
    answer.status = DnsStatus::no_record;
    answer.reason = "no usable TXT record: " + why;
    return answer;
  }
  answer.status = DnsStatus::found;
  if (dropped > 0) answer.reason = std::to_string(dropped) + " TXT record(s) ignored: " + why;
  return answer;
}

// Maps one libunbound outcome to a TxtAnswer.
TxtAnswer interpret(int err, const ub_result* result, std::size_t max_txt_bytes) {
  if (err != UB_NOERROR || result == nullptr)
    return answerOf(DnsStatus::temporary_failure, std::string("DNS resolver error: ") + ub_strerror(err));
  if (result->bogus) {
    std::string why = printable(result->why_bogus);
    TxtAnswer bogus =
        answerOf(DnsStatus::bogus, "DNSSEC validation failed" + (why.empty() ? std::string() : ": " + why));
    bogus.ttl = result->ttl > 0 ? static_cast<std::uint32_t>(result->ttl) : 0;
    return bogus;
  }
  if (result->was_ratelimited)
    return answerOf(DnsStatus::temporary_failure, "DNS query rate-limited by the resolver");

  TxtAnswer answer;
  if (result->rcode == kRcodeNxdomain || result->nxdomain) {
    answer = answerOf(DnsStatus::no_record, "no such domain (NXDOMAIN)");
  } else if (result->rcode != 0) {
    answer = answerOf(DnsStatus::temporary_failure, describeRcode(result->rcode));
  } else if (!result->havedata || result->data == nullptr || result->data[0] == nullptr) {
    answer = answerOf(DnsStatus::no_record, "no TXT record at the name (NODATA)");
  } else {
    answer = collectRecords(*result, max_txt_bytes);
  }
  answer.secure = result->secure != 0;
  answer.ttl = result->ttl > 0 ? static_cast<std::uint32_t>(result->ttl) : 0;
  return answer;
}

class UnboundResolver final : public Resolver {
 public:
  UnboundResolver(UbCtxPtr ctx, UniqueFd wake_read, UniqueFd wake_write, const UnboundOptions& options)
      : ctx_(std::move(ctx)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)),
        timeout_(options.timeout),
        max_txt_bytes_(options.max_txt_bytes),
        thread_([this] { eventLoop(); }) {}

  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  ~UnboundResolver() override {
    stopping_.store(true);
    wake();
    thread_.join();
    // ctx_ goes last (declared first): ub_ctx_delete stops libunbound's own
    // worker and frees whatever queries are still in flight there.
  }

  TxtAnswer lookupTxt(std::string_view name) override;

 private:
  struct Pending {
    UnboundResolver* owner = nullptr;
    std::condition_variable finished;
    bool done = false;
    int async_id = 0;
    TxtAnswer answer;
  };

  static void onResult(void* arg, int err, ub_result* result);
  void eventLoop();
  void finishAll(const std::string& reason);
  void wake() const;

  UbCtxPtr ctx_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  const std::chrono::milliseconds timeout_;
  const std::size_t max_txt_bytes_;
  std::mutex mutex_;
  std::unordered_map<Pending*, std::shared_ptr<Pending>> outstanding_;  // guarded by mutex_
  bool stopped_ = false;                                                // guarded by mutex_
  std::string stop_reason_;                                             // guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: starts once everything above exists
};

TxtAnswer UnboundResolver::lookupTxt(std::string_view name) {
  if (std::string why = nameProblem(name); !why.empty()) return answerOf(DnsStatus::no_record, why);
  const std::string qname(name);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto pending = std::make_shared<Pending>();
  pending->owner = this;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return answerOf(DnsStatus::temporary_failure, stop_reason_);
    outstanding_.emplace(pending.get(), pending);
  }
  // Not under mutex_: the callback may run (and take mutex_) before this returns.
  int async_id = 0;
  const int rc =
      ub_resolve_async(ctx_.get(), qname.c_str(), kTypeTxt, kClassIn, pending.get(), &onResult, &async_id);

  std::unique_lock lock(mutex_);
  if (rc != UB_NOERROR && !pending->done) {
    outstanding_.erase(pending.get());
    return answerOf(DnsStatus::temporary_failure, std::string("DNS resolver error: ") + ub_strerror(rc));
  }
  pending->async_id = async_id;
  if (!pending->finished.wait_until(lock, deadline, [&] { return pending->done; })) {
    // UB_NOERROR: libunbound will not call back, so the record goes now.
    // Otherwise the answer is being delivered and the callback removes it.
    if (ub_cancel(ctx_.get(), async_id) == UB_NOERROR) outstanding_.erase(pending.get());
    return answerOf(DnsStatus::temporary_failure,
                    "DNS timeout after " + std::to_string(timeout_.count()) + " ms");
  }
  return std::move(pending->answer);
}

void UnboundResolver::onResult(void* arg, int err, ub_result* raw) {
  const UbResultPtr result(raw);
  auto* pending = static_cast<Pending*>(arg);
  UnboundResolver& self = *pending->owner;
  TxtAnswer answer = interpret(err, result.get(), self.max_txt_bytes_);
  std::lock_guard lock(self.mutex_);
  const auto found = self.outstanding_.find(pending);
  if (found == self.outstanding_.end()) return;
  pending->answer = std::move(answer);
  pending->done = true;
  pending->finished.notify_one();
  self.outstanding_.erase(found);
}

void UnboundResolver::eventLoop() {
  std::array<pollfd, 2> fds{};
  fds[0] = pollfd{ub_fd(ctx_.get()), POLLIN, 0};
  fds[1] = pollfd{wake_read_.get(), POLLIN, 0};
  std::string failure_reason;
  while (!stopping_.load()) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      failure_reason = std::string("DNS resolver stopped: poll: ") + std::strerror(errno);
      break;
    }
    if (fds[1].revents != 0) {
      std::array<char, 64> drain{};
      while (::read(wake_read_.get(), drain.data(), drain.size()) > 0) {
      }
    }
    if (fds[0].revents != 0) {
      if (const int rc = ub_process(ctx_.get()); rc != UB_NOERROR) {
        failure_reason = std::string("DNS resolver stopped: ") + ub_strerror(rc);
        break;
      }
    }
  }
  finishAll(failure_reason.empty() ? std::string("DNS resolver shutting down") : failure_reason);
}

// The event thread is ending: no callback can come any more. Cancel what is
// in flight and release every waiter with a temporary failure.
void UnboundResolver::finishAll(const std::string& reason) {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  stop_reason_ = reason;
  for (auto& [key, pending] : outstanding_) {
    if (pending->async_id != 0) (void)ub_cancel(ctx_.get(), pending->async_id);
    pending->answer = answerOf(DnsStatus::temporary_failure, reason);
    pending->done = true;
    pending->finished.notify_one();
  }
  outstanding_.clear();
}

void UnboundResolver::wake() const {
  const char byte = 1;
  // A full pipe already holds a wake-up; nothing else can go wrong that matters.
  (void)!::write(wake_write_.get(), &byte, 1);
}

}  // namespace

std::expected<std::unique_ptr<Resolver>, Error> makeUnboundResolver(const UnboundOptions& options) {
  auto ctx = dns::makeUnboundContext(options);
  if (!ctx) return std::unexpected(ctx.error());
  if (ub_fd(ctx->get()) < 0) return failure("libunbound gave no result descriptor");
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0)
    return failure(std::string("cannot create the resolver's wake-up pipe: ") + std::strerror(errno));
  UniqueFd wake_read(fds[0]);
  UniqueFd wake_write(fds[1]);
  std::unique_ptr<Resolver> resolver;
  try {
    resolver = std::make_unique<UnboundResolver>(std::move(*ctx), std::move(wake_read), std::move(wake_write),
                                                 options);
  } catch (const std::system_error& error) {
    return failure(std::string("cannot start the resolver thread: ") + error.what());
  }
  if (options.cache_entries == 0) return resolver;
  return std::make_unique<CachingResolver>(std::move(resolver), options.cache_entries);
}

}  // namespace signet
