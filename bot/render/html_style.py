"""The HTML preview's stylesheet: a dark Discord-like pane and a light Slack-like one.

Inline in the page (it must open from a file, offline, with nothing else fetched). The
font stacks name the clients' own fonts first, then Noto Sans CJK KR / Noto Sans KR, so a
Korean digest reads well where the clients' fonts are absent, then an emoji font.
"""

from __future__ import annotations

FONTS = (
    '"Noto Sans", "Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", '
    '"Helvetica Neue", Helvetica, Arial, sans-serif, "Noto Color Emoji", "Apple Color Emoji", '
    '"Segoe UI Emoji"'
)

PAGE_CSS = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; padding: 24px; background: #e3e5e8; color: #1d1c1d;
  font: 15px/1.375 {FONTS}; }}
.page-title {{ margin: 0 0 16px; font-size: 18px; font-weight: 600; color: #4e5058; }}
.panes {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr));
  gap: 24px; align-items: start; }}
.pane {{ border-radius: 8px; overflow: hidden; box-shadow: 0 2px 10px rgba(0,0,0,.18); }}
.channel {{ display: flex; align-items: baseline; gap: 6px; padding: 12px 16px;
  font-weight: 700; font-size: 16px; }}
.channel .hash {{ font-size: 20px; font-weight: 400; opacity: .6; }}
.channel .where {{ margin-left: auto; font-size: 12px; font-weight: 500; opacity: .7; }}
.log {{ padding: 8px 0 16px; }}
.msg {{ display: grid; grid-template-columns: 40px 1fr; column-gap: 16px;
  padding: 2px 16px 2px 16px; }}
.msg:not(.more) {{ margin-top: 14px; }}
.msg.more .body {{ grid-column: 2; }}
.avatar {{ width: 40px; height: 40px; display: grid; place-items: center; font-size: 22px;
  background: #ffd21e; }}
.body {{ min-width: 0; overflow-wrap: anywhere; }}
.who {{ display: flex; align-items: center; gap: 6px; line-height: 22px; }}
.who .name {{ font-weight: 700; }}
.who .badge {{ font-size: 10px; font-weight: 700; padding: 0 4px; border-radius: 3px;
  line-height: 15px; }}
.who .time {{ font-size: 12px; }}
a {{ text-decoration: none; }}
a:hover {{ text-decoration: underline; }}
p {{ margin: 0; }}
p + p {{ margin-top: 6px; }}
img {{ display: block; }}
img::before {{ content: "🖼  " attr(alt); display: flex; align-items: center;
  justify-content: center; position: absolute; inset: 0; padding: 12px; text-align: center;
  font-size: 13px; line-height: 1.35; }}
.eimage, .simage, .still {{ position: relative; width: 100%; aspect-ratio: 1200 / 648;
  object-fit: cover; border-radius: 6px; }}
.player {{ position: relative; display: block; max-width: 400px; aspect-ratio: 16 / 9;
  margin-top: 8px; border-radius: 6px; overflow: hidden; background: #111214; }}
.player .still {{ position: absolute; inset: 0; height: 100%; border-radius: 0; opacity: .85; }}
.player .still::before {{ content: ""; background: #1e1f22; }}
.player .play {{ position: absolute; left: 50%; top: 50%; width: 56px; height: 56px;
  margin: -28px 0 0 -28px; border-radius: 50%; background: rgba(0,0,0,.6);
  box-shadow: 0 0 0 2px rgba(255,255,255,.85); }}
.player .play::after {{ content: ""; position: absolute; left: 22px; top: 16px;
  border-style: solid; border-width: 12px 0 12px 19px;
  border-color: transparent transparent transparent #fff; }}
.player .file {{ position: absolute; left: 8px; bottom: 6px; right: 8px; color: #dbdee1;
  font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}

/* Discord, dark theme */
.discord {{ background: #313338; color: #dbdee1; }}
.discord .channel {{ color: #f2f3f5; border-bottom: 1px solid #1f2023; }}
.discord .avatar {{ border-radius: 50%; }}
.discord .who .name {{ color: #f2f3f5; }}
.discord .who .badge {{ background: #5865f2; color: #fff; }}
.discord .who .time {{ color: #949ba4; }}
.discord a {{ color: #00a8fc; }}
.discord .content {{ margin: 2px 0; }}
.embed {{ max-width: 520px; margin-top: 8px; padding: 8px 16px 16px 12px; border-radius: 4px;
  background: #2b2d31; border-left: 4px solid #1e1f22; display: grid; gap: 8px;
  font-size: 14px; }}
.etitle {{ font-weight: 600; font-size: 16px; color: #f2f3f5; margin-top: 4px; }}
.fields {{ display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; }}
.field {{ grid-column: 1 / -1; }}
.field.inline {{ grid-column: auto; }}
.fname {{ font-weight: 600; color: #f2f3f5; margin-bottom: 2px; }}
.eimage {{ max-width: 400px; background: #1e1f22; color: #b5bac1; }}
.efooter {{ font-size: 12px; color: #b5bac1; }}
.discord img::before {{ background: #1e1f22; color: #b5bac1; }}

/* Slack, light theme */
.slack {{ background: #fff; color: #1d1c1d; }}
.slack .channel {{ border-bottom: 1px solid #dddddd; }}
.slack .avatar {{ border-radius: 6px; width: 36px; height: 36px; font-size: 20px; }}
.slack .who .badge {{ background: rgba(29,28,29,.13); color: rgba(29,28,29,.7); }}
.slack .who .time {{ color: #616061; }}
.slack a {{ color: #1264a3; }}
.slack .header {{ font-size: 18px; font-weight: 900; margin: 4px 0 6px; }}
.slack .section {{ white-space: pre-wrap; margin: 4px 0; }}
.slack .context {{ white-space: pre-wrap; font-size: 12px; color: #616061; margin: 4px 0;
  display: flex; flex-wrap: wrap; gap: 8px; }}
.slack code {{ font-size: 12px; padding: 2px 3px; border: 1px solid rgba(29,28,29,.13);
  border-radius: 3px; background: rgba(29,28,29,.04); color: #e01e5a; }}
.slack .simage {{ max-width: 360px; margin: 6px 0; border: 1px solid rgba(29,28,29,.13);
  background: #f8f8f8; color: #616061; }}
.slack .video {{ margin: 6px 0; }}
.slack .vtitle {{ font-weight: 700; font-size: 14px; }}
.slack img::before {{ background: #f8f8f8; color: #616061; }}
.slack .divider {{ border: 0; border-top: 1px solid #dddddd; margin: 8px 0; }}
.slack .unknown {{ color: #616061; font-style: italic; }}
.replies {{ margin: 2px 0 0 72px; font-size: 13px; font-weight: 700; color: #1264a3; }}
.thread {{ margin: 10px 16px 0 72px; border: 1px solid #dddddd; border-radius: 8px;
  padding-bottom: 10px; }}
.thread-head {{ padding: 8px 12px; border-bottom: 1px solid #dddddd; font-weight: 900; }}
.thread-head span {{ margin-left: 6px; font-weight: 400; font-size: 13px; color: #616061; }}
"""
