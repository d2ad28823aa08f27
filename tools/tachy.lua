-- tachy.lua: Wireshark/tshark dissector for tachy heartbeat frames and
-- Heartbeat 3 UDP messages.
--
--   tshark -X lua_script:tools/tachy.lua -r capture.pcap
--   tshark -X lua_script:tools/tachy.lua -o tachy.nodes:alice,bob -r capture.pcap -V
--   wireshark -X lua_script:tools/tachy.lua capture.pcap
--
-- tachy frames (detector/frame.h) are decoded on ethertype 0x88B5 and, by
-- heuristic, in any UDP payload starting with the magic "TY" and version 1.
-- Heartbeat messages (Heartbeat 3's wire format) are decoded by
-- heuristic in UDP payloads starting with "###\n" (netstring) or ">>>\n"
-- (classic). Signatures are shown, not verified: use tachydump -k for that.
-- Malformed frames get expert info with tachyd's reject reason names.

local tachy = Proto("tachy", "tachy heartbeat")

local frame_types = {
  [1] = "heartbeat", [2] = "leave",  -- any other type: refused by tachyd
}
local states = { [0] = "init", [1] = "active", [2] = "standby", [3] = "leaving" }

local f = tachy.fields
f.magic = ProtoField.uint16("tachy.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("tachy.version", "Version", base.DEC)
f.type = ProtoField.uint8("tachy.type", "Type", base.DEC, frame_types)
f.flags = ProtoField.uint8("tachy.flags", "Flags", base.HEX)
f.actions_ready = ProtoField.bool("tachy.flags.actions_ready", "Action runner connected", 8,
                                  nil, 0x01)
f.key_id = ProtoField.uint8("tachy.key_id", "Key id", base.DEC)
f.tag_len = ProtoField.uint8("tachy.tag_len", "Tag length", base.DEC)
f.state = ProtoField.uint8("tachy.state", "Sender state", base.DEC, states)
f.cluster = ProtoField.uint32("tachy.cluster", "Cluster id", base.HEX)
f.node = ProtoField.uint32("tachy.node", "Node id", base.HEX)
f.node_name = ProtoField.string("tachy.node_name", "Node name")
f.generation = ProtoField.uint64("tachy.generation", "Generation", base.DEC)
f.seq = ProtoField.uint64("tachy.seq", "Sequence", base.DEC)
f.send_time = ProtoField.int64("tachy.send_time_ns", "Send time (CLOCK_MONOTONIC ns)", base.DEC)
f.keepalive = ProtoField.uint32("tachy.keepalive_us", "Keepalive (us)", base.DEC)
f.deadtime = ProtoField.uint32("tachy.deadtime_us", "Deadtime (us)", base.DEC)
f.held = ProtoField.uint32("tachy.held", "Groups held", base.HEX)
f.wants = ProtoField.uint16("tachy.wants", "Groups wanted", base.HEX)
f.declines = ProtoField.uint16("tachy.declines", "Groups declined", base.HEX)
f.probing = ProtoField.uint16("tachy.probing", "Groups still probed by a restarted runner", base.HEX)
f.digest = ProtoField.uint32("tachy.digest", "haresources digest", base.HEX)
-- 0x8000 | count once the sender's runner has judged its ping nodes (ha.cf
-- ping / ping_group); 0 without ping nodes or before the first judgement.
f.ping = ProtoField.uint16("tachy.ping", "Ping nodes reached", base.HEX)
f.ping_count = ProtoField.uint16("tachy.ping.count", "Ping nodes reached (count)", base.DEC)
f.tag = ProtoField.bytes("tachy.tag", "Tag")

local e_malformed = ProtoExpert.new("tachy.malformed", "Malformed tachy frame",
                                    expert.group.MALFORMED, expert.severity.ERROR)
tachy.experts = { e_malformed }

tachy.prefs.nodes = Pref.string("nodes", "",
  "Comma-separated node names (as in ha.cf) to show names for node ids")
tachy.prefs.clusters = Pref.string("clusters", "linux-ha",
  "Comma-separated cluster names to show names for cluster ids")

-- 32-bit FNV-1a (detector/frame.cc NameId). Lua numbers are doubles, so the
-- multiply by 16777619 = 2^24 + 403 is split to stay exact.
local function name_id(name)
  local h = 2166136261
  for i = 1, #name do
    h = bit32.bxor(h, name:byte(i))
    h = (bit32.lshift(h, 24) + h * 403) % 4294967296
  end
  return h
end

local function name_map(list, lower)
  local map = {}
  for name in string.gmatch(list or "", "[^,%s]+") do
    if lower then name = string.lower(name) end
    map[name_id(name)] = name
  end
  return map
end

local function malformed(tree, pinfo, range, reason)
  tree:add_proto_expert_info(e_malformed, "malformed: " .. reason)
  pinfo.cols.info:set("malformed tachy: " .. reason)
  return range
end

-- Returns the number of bytes consumed (0 if not tachy at all).
function tachy.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  if len < 2 then return 0 end
  pinfo.cols.protocol = "TACHY"
  local t = tree:add(tachy, tvb())
  -- Same order of checks as ParseFrameHeader(): magic, version, type, size, tag.
  if len < 3 then malformed(t, pinfo, tvb(), "short (" .. len .. " bytes)") return len end
  t:add(f.magic, tvb(0, 2))
  if tvb(0, 2):uint() ~= 0x5459 then
    malformed(t, pinfo, tvb(), string.format("bad_magic (0x%04x)", tvb(0, 2):uint()))
    return len
  end
  t:add(f.version, tvb(2, 1))
  if tvb(2, 1):uint() ~= 1 then
    malformed(t, pinfo, tvb(), "bad_version (version " .. tvb(2, 1):uint() .. ")")
    return len
  end
  if len < 4 then malformed(t, pinfo, tvb(), "short (" .. len .. " bytes)") return len end
  local ftype = tvb(3, 1):uint()
  t:add(f.type, tvb(3, 1))
  if frame_types[ftype] == nil then
    malformed(t, pinfo, tvb(), "bad_version (type " .. ftype .. ")")
    return len
  end
  if len < 64 then malformed(t, pinfo, tvb(), "short (" .. len .. " bytes)") return len end
  local tag_len = tvb(6, 1):uint()
  local flags = t:add(f.flags, tvb(4, 1))
  flags:add(f.actions_ready, tvb(4, 1))
  t:add(f.key_id, tvb(5, 1))
  t:add(f.tag_len, tvb(6, 1))
  t:add(f.state, tvb(7, 1))
  local cluster = tvb(8, 4):uint()
  local cluster_item = t:add(f.cluster, tvb(8, 4))
  local cluster_name = name_map(tachy.prefs.clusters, false)[cluster]
  if cluster_name then cluster_item:append_text(" (" .. cluster_name .. ")") end
  local node = tvb(12, 4):uint()
  t:add(f.node, tvb(12, 4))
  local node_name = name_map(tachy.prefs.nodes, true)[node]
  if node_name then t:add(f.node_name, tvb(12, 4), node_name) end
  t:add(f.generation, tvb(16, 8))
  t:add(f.seq, tvb(24, 8))
  t:add(f.send_time, tvb(32, 8))
  t:add(f.keepalive, tvb(40, 4))
  t:add(f.deadtime, tvb(44, 4))
  t:add(f.held, tvb(48, 4))
  t:add(f.wants, tvb(52, 2))
  t:add(f.declines, tvb(54, 2))
  t:add(f.digest, tvb(56, 4))
  t:add(f.probing, tvb(60, 2))
  local ping_item = t:add(f.ping, tvb(62, 2))
  local ping = tvb(62, 2):uint()
  if ping >= 0x8000 then
    ping_item:add(f.ping_count, tvb(62, 2), ping - 0x8000)
  else
    ping_item:append_text(" (not judged, or no ping nodes)")
  end
  local info = string.format("%s node %s gen %s seq %s state %s key %d",
    frame_types[ftype], node_name or string.format("0x%08x", node),
    tostring(tvb(16, 8):uint64()), tostring(tvb(24, 8):uint64()),
    states[tvb(7, 1):uint()] or tostring(tvb(7, 1):uint()), tvb(5, 1):uint())
  if tag_len == 0 or tag_len > 20 then
    malformed(t, pinfo, tvb(), "bad_tag (tag length " .. tag_len .. ")")
    return len
  end
  if len < 64 + tag_len then
    malformed(t, pinfo, tvb(), "short (" .. len .. " bytes, tag needs " .. (64 + tag_len) .. ")")
    return len
  end
  t:add(f.tag, tvb(64, tag_len))
  t:set_len(64 + tag_len)
  pinfo.cols.info:set(info)
  return 64 + tag_len
end

DissectorTable.get("ethertype"):add(0x88B5, tachy)

tachy:register_heuristic("udp", function(tvb, pinfo, tree)
  if tvb:len() < 3 or tvb(0, 2):uint() ~= 0x5459 or tvb(2, 1):uint() ~= 1 then return false end
  tachy.dissector(tvb, pinfo, tree)
  return true
end)

-- Heartbeat 3 -------------------------------------------------------------

local hb = Proto("heartbeat3", "Linux-HA Heartbeat 3 message")
local hf = hb.fields
hf.format = ProtoField.string("heartbeat3.format", "Format")
hf.field = ProtoField.string("heartbeat3.field", "Field")
hf.t = ProtoField.string("heartbeat3.t", "Type (t)")
hf.src = ProtoField.string("heartbeat3.src", "Source (src)")
hf.seq = ProtoField.string("heartbeat3.seq", "Sequence (seq, hex)")
hf.hg = ProtoField.string("heartbeat3.hg", "Generation (hg, hex)")
hf.st = ProtoField.string("heartbeat3.st", "Status (st)")
hf.auth = ProtoField.string("heartbeat3.auth", "Digest (index and hex)")

local e_hb_malformed = ProtoExpert.new("heartbeat3.malformed", "Malformed Heartbeat message",
                                       expert.group.MALFORMED, expert.severity.ERROR)
hb.experts = { e_hb_malformed }

local known = { t = hf.t, src = hf.src, seq = hf.seq, hg = hf.hg, st = hf.st }

-- Adds one "(T)name=value" or "name=value" item at tvb offset `off`.
local function add_field(tree, tvb, off, text, values)
  local ftype, name, value = string.match(text, "^%((%d+)%)([^=]+)=(.*)$")
  if not ftype then
    name, value = string.match(text, "^([^=]+)=(.*)$")
    ftype = "0"
  end
  if not name then return false end
  local range = tvb(off, #text)
  if ftype ~= "0" then
    value = "<" .. #value .. " bytes, type " .. ftype .. ">"
  end
  if known[name] and values[name] == nil then
    tree:add(known[name], range, value)
    values[name] = value
  elseif name == "auth" then
    tree:add(hf.auth, range, value)
  else
    tree:add(hf.field, range, name .. "=" .. value)
  end
  return true
end

local function hb_fail(tree, pinfo, reason)
  tree:add_proto_expert_info(e_hb_malformed, reason)
  pinfo.cols.info:set("malformed heartbeat: " .. reason)
end

local function dissect_netstring(tvb, pinfo, tree, values)
  local s = tvb:raw()
  local pos = 5  -- Lua strings are 1-based; after "###\n"
  while true do
    if s:sub(pos, pos + 3) == "%%%\n" then break end
    local digits = string.match(s, "^(%d+):", pos)
    if not digits or #digits > 9 then
      hb_fail(tree, pinfo, "netstring: bad length at offset " .. (pos - 1))
      return false
    end
    local n = tonumber(digits)
    local start = pos + #digits + 1
    if start + n > #s or s:sub(start + n, start + n) ~= "," then
      hb_fail(tree, pinfo, "netstring: field of " .. n .. " bytes overruns the message")
      return false
    end
    if not add_field(tree, tvb, start - 1, s:sub(start, start + n - 1), values) then
      hb_fail(tree, pinfo, "netstring: bad field at offset " .. (start - 1))
      return false
    end
    pos = start + n + 1
  end
  pos = pos + 4
  if pos <= #s then
    local digits = string.match(s, "^(%d+):", pos)
    if digits then
      local n = tonumber(digits)
      local start = pos + #digits + 1
      if start + n - 1 <= #s then
        tree:add(hf.auth, tvb(start - 1, n), s:sub(start, start + n - 1) .. " (trailer)")
        values.key = string.match(s:sub(start, start + n - 1), "^(%d+) ")
      end
    end
  end
  return true
end

local function dissect_classic(tvb, pinfo, tree, values)
  local s = tvb:raw()
  local pos = 5
  while true do
    local nl = string.find(s, "\n", pos, true)
    if not nl then hb_fail(tree, pinfo, "classic: no <<< end line") return false end
    local line = s:sub(pos, nl - 1)
    if line == "<<<" then break end
    if not add_field(tree, tvb, pos - 1, line, values) then
      hb_fail(tree, pinfo, "classic: bad field line at offset " .. (pos - 1))
      return false
    end
    if string.match(line, "^auth=") then values.key = string.match(line, "^auth=(%d+) ") end
    pos = nl + 1
  end
  return true
end

local function hb_heuristic(tvb, pinfo, tree)
  if tvb:len() < 4 then return false end
  local head = tvb(0, 4):string()
  if head ~= "###\n" and head ~= ">>>\n" then return false end
  pinfo.cols.protocol = "HEARTBEAT"
  local t = tree:add(hb, tvb())
  local values = {}
  local format = head == "###\n" and "netstring" or "classic"
  t:add(hf.format, tvb(0, 4), format)
  pinfo.cols.info:set("heartbeat " .. format)
  local ok
  if format == "netstring" then
    ok = dissect_netstring(tvb, pinfo, t, values)
  else
    ok = dissect_classic(tvb, pinfo, t, values)
  end
  if ok then
    local info = "heartbeat " .. format
    for _, k in ipairs({ "t", "src", "seq", "hg", "st" }) do
      if values[k] then info = info .. " " .. k .. "=" .. values[k] end
    end
    if values.key then info = info .. " key " .. values.key end
    pinfo.cols.info:set(info)
  end
  return true
end

hb:register_heuristic("udp", hb_heuristic)
