"""Small server-rendered SVG charts (no JavaScript, a few hundred bytes each), each with
the same numbers in a data table for screen readers and for copying."""

from django import template

register = template.Library()

WIDTH = 320
BAR_SPACE = 250  # the rest of the width holds the value


@register.inclusion_tag("coordination/charts/hbar.html")
def hbar_chart(items, title: str, chart_id: str, label_header: str = "", value_header: str = ""):
    """Horizontal bars: ``items`` is a list of (label, value) pairs."""
    items = [(str(label), int(value or 0)) for label, value in items]
    top = max((value for _label, value in items), default=0) or 1
    row = 34
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * row
        width = round(BAR_SPACE * value / top, 1)
        bars.append(
            {
                "label": label,
                "value": value,
                "label_y": y + 11,
                "bar_y": y + 15,
                "width": max(width, 1 if value else 0),
                "value_x": width + 4,
                "value_y": y + 26,
            }
        )
    return {
        "bars": bars,
        "title": title,
        "id": chart_id,
        "height": max(len(items) * row, row),
        "width": WIDTH,
        "label_header": label_header,
        "value_header": value_header,
    }


@register.inclusion_tag("coordination/charts/weekly.html")
def weekly_chart(weeks, title: str, chart_id: str):
    """Columns, one per week (``activity.Week``), oldest on the left."""
    top = max((week.learners for week in weeks), default=0) or 1
    plot = 110
    step = WIDTH / max(len(weeks), 1)
    columns = []
    for index, week in enumerate(weeks):
        height = round(plot * week.learners / top, 1)
        x = round(index * step + 3, 1)
        columns.append(
            {
                "week": week,
                "x": x,
                "center": round(x + (step - 6) / 2, 1),
                "width": round(step - 6, 1),
                "y": round(16 + plot - height, 1),
                "height": height,
                "value_y": round(12 + plot - height, 1),
                "label_y": 16 + plot + 14,
            }
        )
    return {
        "columns": columns,
        "title": title,
        "id": chart_id,
        "width": WIDTH,
        "height": 16 + plot + 20,
        "base_y": 16 + plot,
    }
