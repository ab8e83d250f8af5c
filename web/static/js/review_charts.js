// Charts on review pages, drawn from the table each one sits above (the table
// stays the source of the numbers, and what is printed and read aloud).
/* global Chart */
"use strict";

const INK = ["#0b4f8a", "#9b1c1c", "#1d5e2b", "#6b3fa0"];
const DASH = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const POINT = ["circle", "rectRot", "triangle", "rect"];

function number(cell) {
  const value = Number.parseFloat(cell.textContent.replace(/[^0-9.+-]/g, ""));
  return Number.isFinite(value) ? value : null;
}

function fromTable(canvas) {
  const table = document.getElementById(canvas.dataset.source);
  const labelCol = Number(canvas.dataset.labelCol || 0);
  const series = canvas.dataset.series.split(",").map(Number);
  const heads = [...table.tHead.rows[0].cells];
  const rows = [...table.tBodies[0].rows];
  const labels = rows.map((row) => row.cells[labelCol].textContent.trim());
  const datasets = series.map((col, i) => ({
    label: heads[col].textContent.trim(),
    data: rows.map((row) => number(row.cells[col])),
    borderColor: INK[i % INK.length],
    backgroundColor: INK[i % INK.length],
    borderDash: DASH[i % DASH.length],
    pointStyle: POINT[i % POINT.length],
    pointRadius: 5,
    spanGaps: true,
  }));
  return { labels, datasets };
}

function draw(canvas) {
  const scale = { ticks: { color: "#1a1a1a", font: { size: 14 } }, grid: { color: "#d0d0d0" } };
  const y = { ...scale, beginAtZero: true };
  if (canvas.dataset.min) y.min = Number(canvas.dataset.min);
  if (canvas.dataset.max) y.max = Number(canvas.dataset.max);
  if (canvas.dataset.integer) y.ticks = { ...scale.ticks, precision: 0 };
  return new Chart(canvas, {
    type: canvas.dataset.chart,
    data: fromTable(canvas),
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: scale, y },
      plugins: {
        legend: { labels: { color: "#1a1a1a", font: { size: 14 }, usePointStyle: true } },
      },
    },
  });
}

function start() {
  if (typeof Chart === "undefined") return; // the table still holds every number
  const charts = [...document.querySelectorAll("canvas[data-chart]")].map(draw);
  for (const name of ["beforeprint", "afterprint"]) {
    window.addEventListener(name, () => charts.forEach((chart) => chart.resize()));
  }
  document.body.dataset.chartsReady = String(charts.length);
}

start();
