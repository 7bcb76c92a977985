"""What a map inlines in its page is copied as it is, never read as a Jinja template."""

from __future__ import annotations

from widgets.map_assets import OfflineMap, Raw, add_inline


def test_inlined_html_is_copied_verbatim():
    text = "<script>var t = '{{ not.jinja }}'; /* {% if x %} {# c #} */</script>"
    assert Raw(text).render() == text
    m = OfflineMap(tiles=None)
    add_inline(m, "probe", text)
    assert text in m.get_root().render()


def test_the_inlined_element_is_not_compiled_per_render(monkeypatch):
    import jinja2

    compiled = []
    original = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):
        compiled.append(len(source))
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    Raw("<style>" + "x" * 100_000 + "</style>").render()
    assert compiled == []
