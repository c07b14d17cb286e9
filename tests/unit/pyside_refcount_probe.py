# Copied from ../shared/tools/pyside_refcount_probe.py; run by test_pyside_probe.py in a child process.
import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView


class M(QAbstractTableModel):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.fm = 0
        self.cfm = 0

    def rowCount(self, p=QModelIndex()):
        return 0 if p.isValid() else self.n

    def columnCount(self, p=QModelIndex()):
        return 3

    def canFetchMore(self, p):
        self.cfm += 1
        return False

    def fetchMore(self, p):
        self.fm += 1

    def data(self, idx, role=Qt.DisplayRole):
        return "x" if role == Qt.DisplayRole else None


app = QApplication([])
m = M()
r0 = sys.getrefcount(None)
for i in range(1000):
    m.beginInsertRows(QModelIndex(), m.n, m.n + 9)
    m.n += 10
    m.endInsertRows()
print("begin/endInsertRows x1000 (no view): None refs delta", sys.getrefcount(None) - r0)
v = QTableView()
v.setModel(m)
v.resize(800, 600)
v.show()
app.processEvents()
r0 = sys.getrefcount(None)
c0 = m.cfm
for i in range(300):
    v.scrollToBottom()
    app.processEvents()
print(f"with view, canFetchMore called {m.cfm - c0}x (returns False): None refs delta", sys.getrefcount(None) - r0)
r0 = sys.getrefcount(None)
for i in range(1000):
    m.beginInsertRows(QModelIndex(), m.n, m.n + 9)
    m.n += 10
    m.endInsertRows()
app.processEvents()
print("begin/endInsertRows x1000 (with view attached): None refs delta", sys.getrefcount(None) - r0)
