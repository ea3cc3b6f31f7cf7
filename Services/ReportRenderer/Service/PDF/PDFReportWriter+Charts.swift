internal import CPangoCairo
internal import Glibc

/// Pictures: the score gauge, the category bars and the court-case timeline.
extension PDFReportWriter {
    /// A half-dial with the four level zones and a needle at the score, the facts beside it.
    func gauge(_ gauge: ReportDocument.Gauge) {
        let radius = 62.0, thickness = 13.0
        let dialWidth = 2 * radius + 40
        let score = gauge.score
        let number = typesetter.layout(
            score.map { RussianFormat.decimal($0, places: 0) } ?? "—",
            TextStyle(size: 22, bold: true, color: Palette.text(gauge.tone), alignment: .trailing), width: 60)
        let level = typesetter.layout(gauge.levelLabel, TextStyle(size: 9, bold: true, color: Palette.text(gauge.tone)), width: dialWidth)
        let labelWidth = 120.0
        let valueWidth = flow.width - dialWidth - 20 - labelWidth
        let facts = gauge.facts.map { fact in
            (
                typesetter.layout(fact.label, TextStyle(size: 8.5, color: Palette.secondary), width: labelWidth - 6),
                typesetter.layout(fact.value, TextStyle(size: 10, bold: true, color: Palette.text(fact.tone)), width: valueWidth)
            )
        }
        let factsHeight = facts.map { max($0.0.height, $0.1.height) + 5 }.reduce(0, +)
        let height = max(radius + 14 + number.height + level.height, factsHeight)
        flow.place(height: height) { [flow] cr, y in
            let cx = flow.left + dialWidth / 2, cy = y + radius + 6
            let zones: [(Double, Double, ReportDocument.Tone)] = [(0, 25, .good), (25, 50, .caution), (50, 75, .warning), (75, 100, .danger)]
            cairo_set_line_width(cr, thickness)
            for (from, to, tone) in zones {
                cr.setColor(Palette.fill(score == nil ? .muted : tone))
                cairo_new_path(cr)
                cairo_arc(cr, cx, cy, radius, .pi + from / 100 * .pi + 0.01, .pi + to / 100 * .pi - 0.01)
                cairo_stroke(cr)
            }
            if let score {
                let angle = Double.pi + min(max(score, 0), 100) / 100 * .pi
                cr.setColor(Palette.text)
                cairo_set_line_width(cr, 2.2)
                cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
                cairo_move_to(cr, cx, cy)
                cairo_line_to(cr, cx + (radius - 2) * cos(angle), cy + (radius - 2) * sin(angle))
                cairo_stroke(cr)
                cairo_arc(cr, cx, cy, 4, 0, 2 * .pi)
                cairo_fill(cr)
            }
            // The number sits under the dial's centre, where the needle never goes.
            let scale = self.typesetter.layout(score == nil ? "" : "/100", TextStyle(size: 8, color: Palette.secondary), width: 40)
            let numberX = cx - (number.width + scale.width) / 2
            number.draw(cr, x: numberX - (60 - number.width), y: cy + 5)
            scale.draw(cr, x: numberX + number.width + 1, y: cy + 5 + number.height - scale.height - 4)
            level.draw(cr, x: cx - level.width / 2, y: cy + 7 + number.height)
            var factY = y
            let factX = flow.left + dialWidth + 20
            for (label, value) in facts {
                label.draw(cr, x: factX, y: factY + 1.5)
                value.draw(cr, x: factX + labelWidth, y: factY)
                factY += max(label.height, value.height) + 5
            }
        }
    }

    /// One horizontal bar per category on a 0–100 scale, with zone ticks.
    func bars(_ bars: [ReportDocument.Bar]) {
        let labelWidth = 150.0, captionWidth = 120.0, rowHeight = 19.0
        let trackWidth = flow.width - labelWidth - captionWidth - 10
        let rows = bars.map { bar in
            (
                bar,
                typesetter.layout(bar.label, TextStyle(size: 9, maxLines: 1), width: labelWidth - 8),
                typesetter.layout(bar.caption, TextStyle(size: 8, color: Palette.secondary, maxLines: 1), width: captionWidth)
            )
        }
        flow.place(height: Double(rows.count) * rowHeight + 4) { [flow] cr, y in
            let trackX = flow.left + labelWidth
            for (index, (bar, label, caption)) in rows.enumerated() {
                let rowY = y + Double(index) * rowHeight
                label.draw(cr, x: flow.left, y: rowY + 3)
                cr.setColor(Palette.band)
                cairo_rectangle(cr, trackX, rowY + 4, trackWidth, 10)
                cairo_fill(cr)
                if let value = bar.value {
                    cr.setColor(Palette.fill(bar.tone))
                    cairo_rectangle(cr, trackX, rowY + 4, trackWidth * min(max(value, 0), 100) / 100, 10)
                    cairo_fill(cr)
                } else {
                    // Hatched: no data, which is not the same as a zero score.
                    cairo_save(cr)
                    cairo_rectangle(cr, trackX, rowY + 4, trackWidth, 10)
                    cairo_clip(cr)
                    cr.setColor(Palette.rule)
                    cairo_set_line_width(cr, 0.8)
                    var hatch = trackX - 10
                    while hatch < trackX + trackWidth {
                        cairo_move_to(cr, hatch, rowY + 14)
                        cairo_line_to(cr, hatch + 10, rowY + 4)
                        hatch += 5
                    }
                    cairo_stroke(cr)
                    cairo_restore(cr)
                }
                caption.draw(cr, x: trackX + trackWidth + 10, y: rowY + 3.5)
            }
            // Level thresholds.
            cr.setColor(Palette.faint)
            cairo_set_line_width(cr, 0.5)
            for threshold in [25.0, 50, 75] {
                let tickX = trackX + trackWidth * threshold / 100
                cairo_move_to(cr, tickX, y + 2)
                cairo_line_to(cr, tickX, y + Double(rows.count) * rowHeight)
            }
            cairo_stroke(cr)
        }
    }

    /// Court cases per year, stacked by the subject's role.
    func timeline(_ timeline: ReportDocument.Timeline) {
        let height = 128.0
        let legend = timeline.series.map { series in
            (series.tone, typesetter.layout(series.label, TextStyle(size: 7.5, color: Palette.secondary), width: 100))
        }
        let totals = timeline.years.indices.map { index in timeline.series.map { $0.counts[index] }.reduce(0, +) }
        let step = Self.niceStep(Double(totals.max() ?? 1) / 4)
        let top = max(step * 4, step * (Double(totals.max() ?? 0) / step).rounded(.up))
        let tickLabels = stride(from: 0.0, through: top, by: step).map { value in
            (value, typesetter.layout(RussianFormat.integer(Int64(value)), TextStyle(size: 7, color: Palette.secondary, alignment: .trailing), width: 24))
        }
        let yearLabels = timeline.years.map { year in typesetter.layout(String(year), TextStyle(size: 7, color: Palette.secondary), width: 40) }
        let totalLabels = totals.map { total in typesetter.layout(total == 0 ? "" : String(total), TextStyle(size: 7, bold: true), width: 40) }
        let title = typesetter.layout("Дела по годам и роли компании", TextStyle(size: 8.5, bold: true, color: Palette.secondary), width: 220)
        flow.place(height: height) { [flow] cr, y in
            title.draw(cr, x: flow.left, y: y)
            var legendX = flow.left + 230
            for (tone, label) in legend {
                cr.setColor(Palette.fill(tone))
                cairo_rectangle(cr, legendX, y + 2.5, 8, 8)
                cairo_fill(cr)
                label.draw(cr, x: legendX + 11, y: y + 1)
                legendX += label.width + 26
            }
            let plotX = flow.left + 30, plotWidth = flow.width - 30
            let plotTop = y + 26, plotBottom = y + height - 16
            let scale = (plotBottom - plotTop) / top
            cairo_set_line_width(cr, 0.4)
            for (value, label) in tickLabels {
                let lineY = plotBottom - value * scale
                cr.setColor(Palette.rule)
                cairo_move_to(cr, plotX, lineY)
                cairo_line_to(cr, plotX + plotWidth, lineY)
                cairo_stroke(cr)
                label.draw(cr, x: plotX - 28, y: lineY - label.height / 2)
            }
            let slot = plotWidth / Double(timeline.years.count)
            let barWidth = min(slot * 0.6, 36)
            for (index, year) in yearLabels.enumerated() {
                let barX = plotX + slot * Double(index) + (slot - barWidth) / 2
                var stackTop = plotBottom
                for series in timeline.series where series.counts[index] > 0 {
                    let barHeight = Double(series.counts[index]) * scale
                    cr.setColor(Palette.fill(series.tone))
                    cairo_rectangle(cr, barX, stackTop - barHeight, barWidth, barHeight)
                    cairo_fill(cr)
                    stackTop -= barHeight
                }
                let total = totalLabels[index]
                total.draw(cr, x: barX + (barWidth - total.width) / 2, y: stackTop - total.height - 1)
                year.draw(cr, x: plotX + slot * Double(index) + (slot - year.width) / 2, y: plotBottom + 3)
            }
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw` (and at least 1).
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 1 else { return 1 }
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        for multiple in [1.0, 2, 5, 10] where multiple * power >= raw { return multiple * power }
        return 10 * power
    }
}
