#include "actions/hb_resources.h"

#include "absl/strings/str_cat.h"

namespace tachy {
namespace {

absl::string_view Field(const HbResources::Fields& fields, absl::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return v;
  }
  return {};
}

bool HasField(const HbResources::Fields& fields, absl::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

const char* HbSetName(uint8_t set) {
  switch (set & kHbAll) {
    case kHbLocal: return "local";
    case kHbForeign: return "foreign";
    case kHbAll: return "all";
    default: return "none";
  }
}

std::optional<uint8_t> ParseHbSet(absl::string_view name) {
  if (name == "none") return kHbNone;
  if (name == "local") return kHbLocal;
  if (name == "foreign" || name == "failback") return kHbForeign;
  if (name == "all") return kHbAll;
  return std::nullopt;
}

uint8_t SwapHbSet(uint8_t set) {
  return static_cast<uint8_t>(((set & kHbLocal) ? kHbForeign : 0) |
                              ((set & kHbForeign) ? kHbLocal : 0));
}

HbResources::HbResources(HbResourcesOptions options) : options_(std::move(options)) {}

void HbResources::Adopt(uint8_t held) {
  state_ = State::kStable;
  wanted_ = held;
  needs_failback_ = (held & kHbForeign) != 0;
}

void HbResources::SendResource(int isstable, const char* info, bool full) {
  Fields f{{"t", "resource"}, {"rsc_hold", HbSetName(wanted_)}};
  if (full) f.emplace_back("rtype", "full");
  if (isstable >= 0) f.emplace_back("isstable", isstable ? "1" : "0");
  if (info != nullptr) f.emplace_back("info", info);
  outgoing_.push_back(std::move(f));
}

void HbResources::OnPeerAlive(uint64_t generation, MonoTime now) {
  if (peer_alive_ && generation == peer_generation_) return;
  const bool restart = peer_generation_ != 0 && generation != peer_generation_;
  peer_alive_ = true;
  peer_generation_ = generation;
  // A new life has claimed nothing yet and is not stable.
  other_holds_ = kHbNone;
  other_stable_ = false;
  if (standby_ != StandbyPhase::kNot) {
    log_.push_back(absl::StrCat("Heartbeat peer ", options_.peer,
                                " restarted during a standby: standby cancelled"));
    standby_ = StandbyPhase::kNot;
    pending_ = Pending::kNone;
  }
  if (state_ == State::kInit) {
    log_.push_back(absl::StrCat("Heartbeat peer ", options_.peer,
                                " heard: negotiating resources (starting)"));
    outgoing_.push_back({{"t", "starting"}});
    state_ = State::kStarting;
  } else if (restart) {
    log_.push_back(absl::StrCat("Heartbeat peer ", options_.peer, " restarted (generation ",
                                generation, "): it will ask what we hold"));
  }
  (void)now;
}

void HbResources::TakeAll(const char* why) {
  other_holds_ = kHbNone;
  other_stable_ = false;
  if (standby_ != StandbyPhase::kNot) {
    log_.push_back(absl::StrCat("standby with ", options_.peer, " cancelled: ", why));
  }
  standby_ = StandbyPhase::kNot;
  pending_ = Pending::kNone;
  if (state_ == State::kShutdown) return;
  if (wanted_ != kHbAll) {
    log_.push_back(absl::StrCat("Heartbeat peer ", options_.peer, " ", why,
                                ": taking every group"));
  }
  wanted_ = kHbAll;
  needs_failback_ = true;
  state_ = State::kStable;
  SendResource(1, "req_our_resources()");
}

void HbResources::OnPeerDead(MonoTime /*now*/) {
  // Already taken care of: its shutdone came first, or it was never alive
  // to us (Adopt() holds what initdead gave).
  if (!peer_alive_ && state_ == State::kStable) return;
  peer_alive_ = false;
  TakeAll("is dead");
}

void HbResources::ReqOurResources(const char* why) {
  if (other_holds_ & kHbLocal) {
    log_.push_back(absl::StrCat("our local groups are held by ", options_.peer,
                                ": leaving them there (", why, ")"));
  } else {
    if (!(wanted_ & kHbLocal)) {
      log_.push_back(absl::StrCat("taking our local groups (", why, ")"));
    }
    wanted_ |= kHbLocal;
  }
  state_ = State::kStable;
  SendResource(1, "req_our_resources()");
}

bool HbResources::StartStandby(uint8_t set, std::string* why) {
  std::string reason;
  if (!peer_alive_) {
    reason = absl::StrCat(options_.peer, " is not alive");
  } else if (state_ != State::kStable) {
    reason = "resource negotiation still in progress";
  } else if (standby_ != StandbyPhase::kNot) {
    reason = "a standby is already in progress";
  } else if (!other_stable_) {
    reason = absl::StrCat(options_.peer, " is not stable yet");
  }
  if (!reason.empty()) {
    if (why != nullptr) *why = reason;
    return false;
  }
  outgoing_.push_back({{"t", "ask_resources"}, {"rsc_hold", HbSetName(set)}, {"info", "me"}});
  standby_ = StandbyPhase::kMe;
  standby_set_ = set;
  standby_deadline_ = MonoTime();  // armed by the next Tick
  log_.push_back(absl::StrCat("asking ", options_.peer, " to take the ", HbSetName(set),
                              " groups (ask_resources me)"));
  return true;
}

bool HbResources::Standby(uint8_t set, MonoTime /*now*/, std::string* why) {
  return StartStandby(set, why);
}

bool HbResources::Takeover(uint8_t set, MonoTime /*now*/, std::string* why) {
  if (!peer_alive_ || state_ != State::kStable || standby_ != StandbyPhase::kNot) {
    if (why != nullptr) *why = "no standby can start now (peer not alive, or negotiation busy)";
    return false;
  }
  outgoing_.push_back({{"t", "hb_takeover"}, {"rsc_hold", HbSetName(set)}});
  log_.push_back(absl::StrCat("asking ", options_.peer, " to give us the ", HbSetName(set),
                              " groups (hb_takeover)"));
  return true;
}

void HbResources::Shutdown() {
  if (state_ == State::kShutdown) return;
  wanted_ = kHbNone;
  SendResource(0, "shutdown");
  state_ = State::kShutdown;
  standby_ = StandbyPhase::kNot;
  pending_ = Pending::kNone;
}

void HbResources::OnMessage(const Fields& fields, uint64_t generation, MonoTime now) {
  if (fields.empty()) return;
  const absl::string_view type = fields[0].second;
  if (state_ == State::kShutdown && type != "ask_resources") return;
  if (type == "shutdone") {
    log_.push_back(absl::StrCat("shutdown notice from ", options_.peer));
    peer_alive_ = false;
    TakeAll("shut down cleanly");
    return;
  }
  OnPeerAlive(generation, now);  // a message proves life
  if (type == "starting") {
    other_stable_ = false;
    SendResource(state_ == State::kStable ? 1 : 0, nullptr);
    if (state_ == State::kStarting) {
      state_ = State::kReceived;
      request_deadline_ = now + options_.request_delay;
    }
    return;
  }
  if (type == "resource") {
    if (auto held = ParseHbSet(Field(fields, "rsc_hold")); held.has_value()) {
      const uint8_t ours = SwapHbSet(*held);
      other_holds_ = Field(fields, "rtype") == "full" ? ours
                                                     : static_cast<uint8_t>(other_holds_ | ours);
    }
    if (HasField(fields, "isstable")) {
      const bool was = other_stable_;
      other_stable_ = Field(fields, "isstable") == "1";
      if (!was && other_stable_) SendResource(state_ == State::kStable ? 1 : 0, nullptr);
    }
    if (state_ == State::kStarting) {
      state_ = State::kReceived;
      request_deadline_ = now + options_.request_delay;
    }
    if ((other_holds_ & wanted_) != 0 && state_ == State::kStable &&
        standby_ == StandbyPhase::kNot) {
      log_.push_back(absl::StrCat("both ", options_.peer, " and this node claim the ",
                                  HbSetName(other_holds_ & wanted_), " groups"));
    }
    return;
  }
  if (type == "hb_takeover") {
    auto want = ParseHbSet(Field(fields, "rsc_hold"));
    // "failback" is not mapped by Heartbeat's hb_takeover: it means all.
    const uint8_t give = Field(fields, "rsc_hold") == "failback" || !want.has_value()
                             ? kHbAll
                             : SwapHbSet(*want);
    std::string why;
    if (!StartStandby(give, &why)) {
      log_.push_back(absl::StrCat("takeover request from ", options_.peer, " ignored: ", why));
    }
    return;
  }
  if (type != "ask_resources") return;  // stonith, ip-request-resp, ...: informational
  const absl::string_view info = Field(fields, "info");
  const std::optional<uint8_t> set = ParseHbSet(Field(fields, "rsc_hold"));
  if (!set.has_value()) return;
  if (info == "me") {
    if (state_ != State::kStable || standby_ != StandbyPhase::kNot || !other_stable_) {
      log_.push_back(absl::StrCat("standby request from ", options_.peer, " ignored: ",
                                  state_ != State::kStable ? "our resources are in flux"
                                                           : "the other side is in flux"));
      return;
    }
    outgoing_.push_back(
        {{"t", "ask_resources"}, {"rsc_hold", HbSetName(*set)}, {"info", "other"}});
    standby_ = StandbyPhase::kOther;
    standby_set_ = *set;
    other_stable_ = false;
    log_.push_back(absl::StrCat(options_.peer, " wants to go standby [", HbSetName(*set),
                                "]: taking them over"));
  } else if (info == "other" && standby_ == StandbyPhase::kMe) {
    wanted_ &= static_cast<uint8_t>(~standby_set_);
    SendResource(0, "standby");
    pending_ = Pending::kReleaseThenDone;
    standby_ = StandbyPhase::kDone;
    log_.push_back(absl::StrCat(options_.peer, " agreed: releasing the ",
                                HbSetName(standby_set_), " groups"));
  } else if (info == "done" && standby_ == StandbyPhase::kOther) {
    wanted_ |= SwapHbSet(standby_set_);
    pending_ = Pending::kAcquireThenDone;
  } else if (info == "done" && standby_ == StandbyPhase::kDone && pending_ == Pending::kNone) {
    SendResource(1, nullptr);
    standby_ = StandbyPhase::kNot;
    needs_failback_ = false;
    log_.push_back(absl::StrCat(options_.peer, " completed the standby takeover of the ",
                                HbSetName(standby_set_), " groups"));
  } else {
    log_.push_back(absl::StrCat("ignored standby message '", info, "' from ", options_.peer,
                                " (not expected now)"));
  }
}

void HbResources::Tick(MonoTime now, bool settled) {
  if ((state_ == State::kStarting || state_ == State::kReceived) && other_stable_) {
    ReqOurResources(absl::StrCat(options_.peer, " is stable").c_str());
  } else if (state_ == State::kReceived && now >= request_deadline_) {
    ReqOurResources("the request delay passed");
  }
  if (standby_ == StandbyPhase::kMe) {
    if (standby_deadline_ == MonoTime()) standby_deadline_ = now + options_.standby_timeout;
    if (now >= standby_deadline_) {
      log_.push_back(absl::StrCat("no reply from ", options_.peer,
                                  " to the standby request: cancelled"));
      standby_ = StandbyPhase::kNot;
      next_failback_ = now + options_.standby_timeout;
    }
  }
  if (settled && pending_ == Pending::kReleaseThenDone) {
    pending_ = Pending::kNone;
    outgoing_.push_back(
        {{"t", "ask_resources"}, {"rsc_hold", HbSetName(standby_set_)}, {"info", "done"}});
  } else if (settled && pending_ == Pending::kAcquireThenDone) {
    pending_ = Pending::kNone;
    // Heartbeat's order: our claim first, then done.
    SendResource(1, nullptr);
    outgoing_.push_back(
        {{"t", "ask_resources"}, {"rsc_hold", HbSetName(standby_set_)}, {"info", "done"}});
    standby_ = StandbyPhase::kNot;
    log_.push_back(absl::StrCat("completed the standby takeover from ", options_.peer));
  }
  if (options_.auto_failback && settled && needs_failback_ && (wanted_ & kHbForeign) &&
      peer_alive_ && other_stable_ && state_ == State::kStable && standby_ == StandbyPhase::kNot &&
      now >= next_failback_) {
    log_.push_back(absl::StrCat("auto_failback: giving ", options_.peer, " its groups back"));
    StartStandby(kHbForeign, nullptr);
  }
}

}  // namespace tachy
