#!/usr/bin/python3
# A real RTSP camera for the probe tests: GStreamer's RTSP server serving the store clip without
# decoding it. Run with /usr/bin/python3 (the system Python has gi).
#
#   rtsp-server.py CLIP [PORT] [digest|basic]
#
# Binds 127.0.0.1 on PORT (0: a free port) and prints "ready <port>" once it listens.
# Mounts:
#   /clip    the clip at its own speed (10 fps)
#   /slow    the same clip held back between demuxer and payloader, so frames leave at about 2.5 fps
#   /frozen  one test picture repeated as identical JPEGs at 10 fps
#   /auth    the clip, only for technician:s3cret, by Digest (the default) or Basic authentication
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

clip = sys.argv[1]
port = sys.argv[2] if len(sys.argv) > 2 else "0"
method = sys.argv[3] if len(sys.argv) > 3 else "digest"

Gst.init(None)

# No decoder for MPEG-4 Part 2 is installed, and none is needed: the payloader takes the parsed stream.
CLIP = f'( filesrc location="{clip}" ! qtdemux ! mpeg4videoparse ! rtpmp4vpay name=pay0 pt=96 config-interval=1 )'
# identity sleeps 400 ms per frame: the timestamps still say 10 fps, the frames arrive at 2.5 fps.
SLOW = (
    f'( filesrc location="{clip}" ! qtdemux ! mpeg4videoparse ! identity sleep-time=400000 '
    "! rtpmp4vpay name=pay0 pt=96 config-interval=1 )"
)
# One picture, frozen: identical JPEG bytes every frame. I420, because rtpjpegpay refuses the JPEG
# jpegenc makes of videotestsrc's default format; is-live, or the media never prerolls.
FROZEN = (
    "( videotestsrc num-buffers=1 ! video/x-raw,format=I420,width=320,height=240 ! imagefreeze is-live=true "
    "! video/x-raw,framerate=10/1 ! jpegenc ! rtpjpegpay name=pay0 pt=26 )"
)

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)


def token(role):
    t = GstRtspServer.RTSPToken()
    t.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, role)
    return t


# With an RTSPAuth on the server every mount needs permissions: anonymous viewers get the open mounts
# through the default token, the technician gets all of them.
auth = GstRtspServer.RTSPAuth()
auth.set_default_token(token("anonymous"))
# The server reads the methods as a bit mask, but the binding only passes one enum value: one at a time.
if method == "basic":
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic("technician", "s3cret"), token("technician"))
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
else:
    auth.add_digest("technician", "s3cret", token("technician"))
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
server.set_auth(auth)


def mount(path, launch, roles, visible_to=()):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    # Not shared: each session builds its own pipeline, so every probe starts at the clip's start.
    factory.set_shared(False)
    permissions = GstRtspServer.RTSPPermissions()
    for role in roles:
        permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    # Access without construct: the server admits the mount exists and answers 401 (not 404).
    for role in visible_to:
        permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory(path, factory)


mount("/clip", CLIP, ["anonymous", "technician"])
mount("/slow", SLOW, ["anonymous", "technician"])
mount("/frozen", FROZEN, ["anonymous", "technician"])
mount("/auth", CLIP, ["technician"], visible_to=["anonymous"])

if server.attach(None) == 0:
    print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    sys.exit(1)
print(f"ready {server.get_bound_port()}", flush=True)
GLib.MainLoop().run()
